"""Route links: structured (/api/navigate) and natural language (/api/ai/navigate)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError

from ..domain import navigation, nlp
from .deps import SettingsDep
from .schemas import AiNavigateRequest, AiNavigateResponse, NavigateRequest, NavigateResponse

router = APIRouter(prefix="/api", tags=["navigation"])

_422: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid body, or a route the provider cannot carry, or no destination found"}}


def _check_query_length(query: str, limit: int) -> None:
    # The limit is a setting (the schema's maxLength is the model's ceiling), so it is checked here,
    # and answered like any other field error.
    if nlp.query_length(query) > limit:
        raise RequestValidationError([{"loc": ("body", "query"), "type": "string_too_long",
                                       "msg": f"query longer than {limit} characters (after normalization)"}])


@router.post("/navigate", response_model=NavigateResponse, responses=_422,
             summary="Route link for a provider, keeping every stop in order")
async def navigate(body: NavigateRequest) -> dict[str, Any]:
    return navigation.answer(body.origin, body.destination, body.waypoints, body.mode, body.provider)


@router.post("/ai/navigate", response_model=AiNavigateResponse, responses=_422,
             summary="Route link from a Chinese or English sentence")
async def ai_navigate(body: AiNavigateRequest, settings: SettingsDep) -> dict[str, Any]:
    _check_query_length(body.query, settings.max_query_chars)
    return navigation.answer_query(body.query, body.provider)
