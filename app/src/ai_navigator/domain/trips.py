"""Trip helpers as plain functions over the data files: transport choice, city guide, speed check."""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

from .places import distance_km, lookup


class TripError(ValueError):
    """The request cannot be answered as asked (answered as 422 with this message)."""


DATA_FILES = ("transport.json", "travel_guide.json", "speed_limits.json")


@cache
def _data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (resources.files("ai_navigator") / "data" / name).read_text(encoding="utf-8"))
    return data


def load_data() -> None:
    """Read and cache every data file of the trip helpers (a broken file fails here, not in a request)."""
    for name in DATA_FILES:
        _data(name)


# --- transport -------------------------------------------------------------------------------------
def recommend_transport(origin: str, destination: str, distance_km_given: float | None = None,
                        budget: str | None = None, travelers: int = 1) -> dict[str, Any]:
    a, b = lookup(origin), lookup(destination)
    if a is not None and b is not None:
        dist, source = distance_km(a, b), "coordinates"
    else:
        unknown = [n for n, p in ((origin, a), (destination, b)) if p is None]
        if distance_km_given is None:
            raise TripError(f"unknown place(s) {', '.join(repr(u) for u in unknown)}: not in the offline "
                            "gazetteer, so the distance cannot be computed; send distance_km")
        dist, source = float(distance_km_given), "request"
    rules = _data("transport.json")
    vot = rules["value_of_time_cny_per_hour"][budget or "medium"]
    options = []
    for m in rules["modes"]:
        if not (m["min_km"] <= dist <= m["max_km"]):
            continue
        travel_km = dist * rules["road_factor"] if m["ground"] else dist
        hours = m["overhead_hours"] + travel_km / m["speed_kmh"]
        cost = m["fixed_cost"] + m["cost_per_km"] * travel_km
        if m["per_person"]:
            cost *= travelers
        else:
            cost *= math.ceil(travelers / 4)  # one car or taxi per four people
        options.append({"mode": m["mode"], "label": m["label"], "estimated_hours": round(hours, 2),
                        "estimated_cost_cny": round(cost, 0),
                        "note": f"{travel_km:.0f} km {'by road' if m['ground'] else 'flown'}",
                        "_score": hours * vot * travelers + cost})
    if not options:
        raise TripError(f"no transport mode covers {dist:.0f} km")
    best = min(options, key=lambda o: o["_score"])
    for o in options:
        del o["_score"]
    options.sort(key=lambda o: o["estimated_hours"])
    return {"origin": origin, "destination": destination, "distance_km": round(dist, 1),
            "distance_source": source, "recommended": best["mode"], "options": options}


# --- travel guide ----------------------------------------------------------------------------------
def supported_cities() -> list[str]:
    return list(_data("travel_guide.json")["cities"])


def travel_guide(destination: str, duration_days: int, style: str = "balanced", budget_level: str = "medium",
                 travelers: int = 1) -> dict[str, Any]:
    data = _data("travel_guide.json")
    place = lookup(destination)
    city = data["cities"].get(place.city) if place is not None else None
    if place is None or city is None:
        names = ", ".join(f"{k} ({v['english']})" for k, v in data["cities"].items())
        raise TripError(f"no guide for '{destination}'; guides exist for: {names}")
    per_day = data["per_day_by_style"][style]
    attractions = list(city["attractions"])
    days: list[dict[str, Any]] = []
    for d in range(duration_days):
        todays = attractions[d * per_day:(d + 1) * per_day]  # each attraction appears once at most
        tip = city["tip"] if d == 0 else ("Free day: explore neighbourhoods, markets and food streets."
                                          if not todays else "Start early to avoid queues.")
        days.append({"day": d + 1, "attractions": todays, "tip": tip})
    visited = sum(len(d["attractions"]) for d in days)
    costs = data["daily_costs_cny"][budget_level]
    rooms = math.ceil(travelers / 2)
    nights = max(duration_days - 1, 0)
    lodging = costs["lodging_per_room"] * rooms * nights
    food = costs["food"] * travelers * duration_days
    local = costs["local_transport"] * travelers * duration_days
    tickets = city["ticket_budget_per_day"] * travelers * sum(1 for d in days if d["attractions"])
    note = None
    if visited < len(attractions):
        note = f"{len(attractions) - visited} attractions do not fit in {duration_days} day(s) at a {style} pace."
    elif any(not d["attractions"] for d in days):
        note = "All listed attractions fit; the remaining days are free days."
    return {"destination": place.city, "duration_days": duration_days, "style": style, "days": days,
            "unvisited_attractions": attractions[visited:],
            "budget_cny": {"lodging": lodging, "food": food, "local_transport": local, "tickets": tickets,
                           "total": lodging + food + local + tickets, "per_person": round(
                               (lodging + food + local + tickets) / travelers, 0)},
            "note": note}


# --- speed -----------------------------------------------------------------------------------------
def check_speed(current_speed: float, road_type: str = "urban_road",
                speed_limit: float | None = None) -> dict[str, Any]:
    if not (0 <= current_speed <= 400) or math.isnan(current_speed):
        raise TripError("current_speed must be between 0 and 400 km/h")
    data = _data("speed_limits.json")
    road = data["road_types"][road_type]
    limit = float(speed_limit) if speed_limit is not None else float(road["max_kmh"])
    minimum = road["min_kmh"]
    over = max(0.0, (current_speed - limit) / limit * 100)
    if current_speed > limit * data["severe_over_ratio"]:
        status = "severely_over_limit"
        msg = f"{current_speed:g} km/h is more than 50% over the {limit:g} km/h limit: slow down now."
    elif current_speed > limit:
        status, msg = "over_limit", f"{current_speed:g} km/h is over the {limit:g} km/h limit by {over:.0f}%."
    elif minimum is not None and 0 < current_speed < minimum:
        status, msg = "too_slow", f"{current_speed:g} km/h is below the {minimum} km/h minimum on this road."
    else:
        status, msg = "ok", f"{current_speed:g} km/h is within the {limit:g} km/h limit."
    return {"current_speed": current_speed, "road_type": road_type, "speed_limit": limit,
            "minimum_speed": minimum, "status": status, "over_by_percent": round(over, 1), "message": msg}
