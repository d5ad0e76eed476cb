"""Domain logic as plain functions over the data files: no HTTP, no FastAPI, no settings.

``nlp`` reads a route sentence, ``places`` looks names up in the offline gazetteer, ``providers``
builds map links, ``trips`` answers the trip helpers. Each raises its own ``ValueError`` subclass
for a request it cannot answer; the HTTP layer (``ai_navigator.api``) turns those into 422.
"""
