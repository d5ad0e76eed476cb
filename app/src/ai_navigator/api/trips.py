"""Trip helpers: transport choice, travel guide, speed check."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .. import trips
from ..schemas import (GuideRequest, GuideResponse, SpeedRequest, SpeedResponse, TransportRequest,
                       TransportResponse)

router = APIRouter(prefix="/api", tags=["trip helpers"])
_422 = {422: {"description": "Invalid body, or a request that cannot be answered (message says why)"}}


def _unprocessable(exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": str(exc)})


@router.post("/transport/recommend", response_model=TransportResponse, responses=_422,
             summary="Transport options and a recommendation for a trip")
async def transport_recommend(body: TransportRequest):
    try:
        return trips.recommend_transport(body.origin, body.destination, body.distance_km, body.budget,
                                         body.travelers)
    except trips.TripError as exc:
        return _unprocessable(exc)


@router.post("/travel/guide", response_model=GuideResponse, responses=_422,
             summary="Multi-day itinerary (no attraction repeated) and budget")
async def travel_guide(body: GuideRequest):
    try:
        return trips.travel_guide(body.destination, body.duration_days, body.style, body.budget_level,
                                  body.travelers)
    except trips.TripError as exc:
        return _unprocessable(exc)


@router.post("/speed/check", response_model=SpeedResponse, responses=_422,
             summary="Compare a speed with the limit for a road type")
async def speed_check(body: SpeedRequest):
    try:
        return trips.check_speed(body.current_speed, body.road_type, body.speed_limit)
    except trips.TripError as exc:
        return _unprocessable(exc)
