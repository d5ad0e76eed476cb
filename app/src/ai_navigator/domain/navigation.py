"""Route answers as plain data: a structured route or a sentence in, the link and the resolved stops out."""

from __future__ import annotations

from typing import Any

from . import nlp, providers


def answer(origin: str | None, destination: str, waypoints: list[str], mode: str,
           provider: str | None) -> dict[str, Any]:
    """The link for the route (origin?, waypoints in order, destination) and how each stop resolved."""
    chosen, url, stops = providers.route(origin, destination, waypoints, mode, provider)
    roles = (["origin"] if origin else []) + ["waypoint"] * len(waypoints) + ["destination"]
    places = [{"role": role, "name": stop.name, "matched": stop.place.name if stop.place else None,
               "lat": stop.place.lat if stop.place else None, "lng": stop.place.lng if stop.place else None}
              for role, stop in zip(roles, stops, strict=True)]
    return {"origin": origin, "destination": destination, "waypoints": list(waypoints), "mode": mode,
            "provider": chosen, "url": url, "places": places}


def answer_query(query: str, provider: str | None = None) -> dict[str, Any]:
    """The same for a Chinese or English sentence; a provider given here wins over one named in it,
    a mode named in it over the default (driving)."""
    parsed = nlp.parse(query)
    result = answer(parsed.origin, parsed.destination, parsed.waypoints, parsed.mode or "driving",
                    provider or parsed.provider)
    result["query"] = query
    return result
