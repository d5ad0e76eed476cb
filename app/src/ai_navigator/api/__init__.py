"""The HTTP layer: routers, their dependencies (``deps``), request/response models, error
handlers, the middleware and metrics. The routers are thin: the logic lives in ``ai_navigator.domain``.

Handlers are ``async def``: the work behind each is pure computation of tens of microseconds
(no I/O), so running it on the event loop is cheaper than a hop through the thread pool.
"""
