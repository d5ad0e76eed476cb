"""Route links: structured (/api/navigate) and natural language (/api/ai/navigate)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .. import nlp, providers
from ..schemas import AiNavigateRequest, AiNavigateResponse, NavigateRequest, NavigateResponse

router = APIRouter(prefix="/api", tags=["navigation"])

_422 = {422: {"description": "Invalid body, or a route the provider cannot carry, or no destination found"}}


def _answer(origin, destination, waypoints, mode, provider) -> dict:
    chosen, url, stops = providers.route(origin, destination, waypoints, mode, provider)
    roles = (["origin"] if origin else []) + ["waypoint"] * len(waypoints) + ["destination"]
    places = [{"role": r, "name": s.name, "matched": s.place.name if s.place else None,
               "lat": s.place.lat if s.place else None, "lng": s.place.lng if s.place else None}
              for r, s in zip(roles, stops)]
    return {"origin": origin, "destination": destination, "waypoints": list(waypoints), "mode": mode,
            "provider": chosen, "url": url, "places": places}


@router.post("/navigate", response_model=NavigateResponse, responses=_422,
             summary="Route link for a provider, keeping every stop in order")
async def navigate(body: NavigateRequest):
    return _answer(body.origin, body.destination, body.waypoints, body.mode, body.provider)


@router.post("/ai/navigate", response_model=AiNavigateResponse, responses=_422,
             summary="Route link from a Chinese or English sentence")
async def ai_navigate(body: AiNavigateRequest, request: Request):
    limit = request.app.state.settings.max_query_chars
    if nlp.query_length(body.query) > limit:
        return JSONResponse(status_code=422, content={
            "detail": "Invalid request",
            "errors": [{"loc": ["body", "query"], "msg": f"query longer than {limit} characters (after normalization)",
                        "type": "string_too_long"}]})
    parsed = nlp.parse(body.query)
    answer = _answer(parsed.origin, parsed.destination, parsed.waypoints, parsed.mode or "driving",
                     body.provider or parsed.provider)
    answer["query"] = body.query
    return answer
