"""Request and response bodies (pydantic): validation happens here, before any logic runs."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Mode = Literal["driving", "transit", "walking", "riding"]
Provider = Literal["baidu", "amap", "google"]
_BAD_NAME = re.compile(r"[|\x00-\x1f\x7f]")


def _plain_name(value: str) -> str:
    # '|' separates stops and fields in the providers' URL formats; control characters have no place in a name.
    if _BAD_NAME.search(value):
        raise ValueError("place names must not contain '|' or control characters")
    return value


PlaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                      AfterValidator(_plain_name)]


class Strict(BaseModel):
    # strict: a value of another JSON type is refused, not coerced (false is no speed, "2" no day
    # count), so the body the service accepts is the one its schema describes.
    model_config = ConfigDict(extra="forbid", strict=True)


class NavigateRequest(Strict):
    origin: PlaceName | None = Field(None, description="Start; null means the user's current location.",
                                     examples=["北京"])
    destination: PlaceName = Field(description="Where the route ends.", examples=["上海"])
    waypoints: list[PlaceName] = Field(default_factory=list, max_length=20,
                                       description="Intermediate stops, in order.", examples=[["天津", "济南"]])
    mode: Mode = Field("driving", description="driving | transit | walking | riding")
    provider: Provider | None = Field(
        None, description="baidu | amap | google; omitted: the first of these that can carry the route.")


class ResolvedPlace(BaseModel):
    role: Literal["origin", "waypoint", "destination"]
    name: str = Field(description="The name as given.")
    matched: str | None = Field(description="Gazetteer entry it matched, or null if unknown offline.")
    lat: float | None
    lng: float | None


class NavigateResponse(BaseModel):
    origin: str | None
    destination: str
    waypoints: list[str]
    mode: Mode
    provider: Provider
    url: str
    places: list[ResolvedPlace] = Field(description="How each stop was resolved (GCJ-02 coordinates).")


class AiNavigateRequest(Strict):
    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)] = Field(
        description="A route request in Chinese or English. The length limit (AI_NAVIGATOR_MAX_QUERY_CHARS, "
                    "stated as maxLength) applies to the text as sent and after normalization (NFKC, whitespace).",
        examples=["从家步行到公园", "drive from Beijing to Shanghai via Jinan"])
    provider: Provider | None = Field(None, description="Overrides a provider named in the query.")


class AiNavigateResponse(NavigateResponse):
    query: str


class TransportRequest(Strict):
    origin: PlaceName
    destination: PlaceName
    distance_km: float | None = Field(None, gt=0, le=20_000,
                                      description="Used when a place is not in the offline gazetteer.")
    budget: Literal["low", "medium", "high"] | None = Field(None, description="Spending preference.")
    travelers: int = Field(1, ge=1, le=50)


class TransportOption(BaseModel):
    mode: str
    label: str
    estimated_hours: float
    estimated_cost_cny: float
    note: str


class TransportResponse(BaseModel):
    origin: str
    destination: str
    distance_km: float
    distance_source: Literal["coordinates", "request"]
    recommended: str
    options: list[TransportOption]


class GuideRequest(Strict):
    destination: PlaceName
    duration_days: int = Field(ge=1, le=14)
    style: Literal["relaxed", "balanced", "intensive"] = "balanced"
    budget_level: Literal["low", "medium", "high"] = "medium"
    travelers: int = Field(1, ge=1, le=20)


class GuideDay(BaseModel):
    day: int
    attractions: list[str]
    tip: str


class GuideResponse(BaseModel):
    destination: str
    duration_days: int
    style: str
    days: list[GuideDay]
    unvisited_attractions: list[str]
    budget_cny: dict[str, float]
    note: str | None = None


class SpeedRequest(Strict):
    current_speed: float = Field(ge=0, le=400, description="km/h; negative or above 400 is rejected.")
    road_type: Literal["expressway", "urban_expressway", "national_road", "urban_road", "rural_road",
                       "school_zone"] = "urban_road"
    speed_limit: float | None = Field(None, ge=1, le=150, description="Posted limit, if known (km/h).")


class SpeedResponse(BaseModel):
    current_speed: float
    road_type: str
    speed_limit: float
    minimum_speed: float | None
    status: Literal["ok", "too_slow", "over_limit", "severely_over_limit"]
    over_by_percent: float
    message: str
