"""Trip helpers: transport choice, travel guide, speed check (logic: ai_navigator.domain.trips)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..domain import trips
from .schemas import GuideRequest, GuideResponse, SpeedRequest, SpeedResponse, TransportRequest, TransportResponse

router = APIRouter(prefix="/api", tags=["trip helpers"])
_422: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid body, or a request that cannot be answered (message says why)"}}


@router.post("/transport/recommend", response_model=TransportResponse, responses=_422,
             summary="Transport options and a recommendation for a trip")
async def transport_recommend(body: TransportRequest) -> dict[str, Any]:
    return trips.recommend_transport(body.origin, body.destination, body.distance_km, body.budget,
                                     body.travelers)


@router.post("/travel/guide", response_model=GuideResponse, responses=_422,
             summary="Multi-day itinerary (no attraction repeated) and budget")
async def travel_guide(body: GuideRequest) -> dict[str, Any]:
    return trips.travel_guide(body.destination, body.duration_days, body.style, body.budget_level,
                              body.travelers)


@router.post("/speed/check", response_model=SpeedResponse, responses=_422,
             summary="Compare a speed with the limit for a road type")
async def speed_check(body: SpeedRequest) -> dict[str, Any]:
    return trips.check_speed(body.current_speed, body.road_type, body.speed_limit)
