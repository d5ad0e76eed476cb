"""Route links for Baidu, Amap and Google maps, each built by that provider's published scheme.

Every stop the caller gives is kept. When a provider's scheme cannot carry a stop, the mode, a
missing origin or a place without coordinates, ``ProviderError`` says why (answered as 422):
a stop is never dropped silently. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from .places import Place, lookup

PROVIDERS = ("baidu", "amap", "google")
MODES = ("driving", "transit", "walking", "riding")
SOURCE = "webapp.ai_navigator.assistant"


class ProviderError(ValueError):
    """The provider's URL scheme cannot express this route."""


@dataclass(frozen=True)
class Stop:
    name: str
    place: Place | None

    @classmethod
    def of(cls, name: str) -> Stop:
        return cls(name, lookup(name))


def _enc(params: list[tuple[str, str]]) -> str:
    # Spaces as %20 and '|', ',' and ':' percent-encoded: valid in every browser and app handler.
    return urlencode(params, quote_via=quote, safe="")


# --- Baidu ---------------------------------------------------------------------------------------
# Baidu Map URI API, web/webapp "公交、驾车、步行导航" (direction):
#   https://lbsyun.baidu.com/index.php?title=uri/api/web  (section 2.2.3 /direction)
#   http://api.map.baidu.com/direction?origin=..&destination=..&mode=..&region=..&output=html&src=..
#   origin/destination: a name, or "name:天安门|latlng:39.98871,116.43234" (latitude first);
#   both are required ("必选"); mode is fixed to transit | driving | walking;
#   origin_region/destination_region: city of each end; coord_type: bd09ll|bd09mc|gcj02|wgs84;
#   output=html for the web; src required. The web scheme has no waypoint parameter.
_BAIDU_MODES = {"driving": "driving", "transit": "transit", "walking": "walking"}


def _baidu_point(stop: Stop) -> str:
    if stop.place is None:
        return stop.name
    return f"name:{stop.name}|latlng:{stop.place.lat:.6f},{stop.place.lng:.6f}"


def baidu_url(origin: Stop | None, destination: Stop, waypoints: list[Stop], mode: str) -> str:
    if origin is None:
        raise ProviderError("baidu: the web direction URI requires an origin; give one, "
                            "or use amap or google, which start from the user's location")
    if waypoints:
        raise ProviderError(f"baidu: the web direction URI cannot carry waypoints ({len(waypoints)} given); "
                            "use google for routes with stops")
    if mode not in _BAIDU_MODES:
        raise ProviderError(f"baidu: the web direction URI has no '{mode}' mode "
                            f"(it supports {', '.join(_BAIDU_MODES)})")
    params = [("origin", _baidu_point(origin)), ("destination", _baidu_point(destination)),
              ("mode", _BAIDU_MODES[mode])]
    if origin.place is None and destination.place is not None:
        # "region: when given, origin and destination are taken to be in that city unless each has
        # its own" -- an unknown origin ("家") is then searched in the destination's city.
        params.append(("region", destination.place.city))
    if origin.place is not None:
        params.append(("origin_region", origin.place.city))
    if destination.place is not None:
        params.append(("destination_region", destination.place.city))
    params.append(("output", "html"))
    if origin.place is not None or destination.place is not None:
        params.append(("coord_type", "gcj02"))  # our gazetteer's coordinates are GCJ-02
    params.append(("src", SOURCE))
    return "https://api.map.baidu.com/direction?" + _enc(params)


# --- Amap ----------------------------------------------------------------------------------------
# Amap (高德) URI API, 路径规划: https://lbs.amap.com/api/uri-api/guide/travel/route
#   https://uri.amap.com/navigation?from=lon,lat,name&to=lon,lat,name&via=lon,lat,name&mode=car
#       &policy=0&src=..&coordinate=gaode&callnative=0
#   from/to/via are coordinates ("position=lon,lat[,name]", longitude first); an empty `from`
#   starts at the user's location (mobile); `via` takes at most ONE point and only in car mode;
#   mode: car | bus | walk | ride.
_AMAP_MODES = {"driving": "car", "transit": "bus", "walking": "walk", "riding": "ride"}


def _amap_point(stop: Stop, role: str) -> str:
    if stop.place is None:
        raise ProviderError(f"amap: the navigation URI needs coordinates and the {role} '{stop.name}' "
                            "is not in the offline gazetteer; use baidu or google, which accept names")
    return f"{stop.place.lng:.6f},{stop.place.lat:.6f},{stop.name}"


def amap_url(origin: Stop | None, destination: Stop, waypoints: list[Stop], mode: str) -> str:
    if len(waypoints) > 1:
        raise ProviderError(f"amap: the navigation URI carries at most one waypoint ({len(waypoints)} given); "
                            "use google for more stops")
    if waypoints and mode != "driving":
        raise ProviderError(f"amap: the navigation URI carries a waypoint only when driving (mode is '{mode}')")
    params = []
    if origin is not None:
        params.append(("from", _amap_point(origin, "origin")))
    params.append(("to", _amap_point(destination, "destination")))
    if waypoints:
        params.append(("via", _amap_point(waypoints[0], "waypoint")))
    params += [("mode", _AMAP_MODES[mode]), ("policy", "0"), ("src", "ai_navigator"),
               ("coordinate", "gaode"), ("callnative", "0")]
    return "https://uri.amap.com/navigation?" + _enc(params)


# --- Google --------------------------------------------------------------------------------------
# Google Maps URLs, directions action:
#   https://developers.google.com/maps/documentation/urls/get-started#directions-action
#   https://www.google.com/maps/dir/?api=1&origin=..&destination=..&travelmode=..&waypoints=a|b
#   origin optional (defaults to the user's location); travelmode: driving | walking | bicycling |
#   transit; waypoints: '|'-separated, in order, up to 9 (fewer on some mobile platforms).
#   Google's routing has no stops for transit (Directions API: waypoints "not transit"), so a
#   transit route with waypoints is refused rather than shown without its stops.
_GOOGLE_MODES = {"driving": "driving", "transit": "transit", "walking": "walking", "riding": "bicycling"}
GOOGLE_MAX_WAYPOINTS = 9


def _google_point(stop: Stop) -> str:
    # Google geocodes names; a known place gets its canonical name (with its city for landmarks and
    # districts), an unknown one goes as written.
    if stop.place is None:
        return stop.name
    if stop.place.kind == "landmark":
        return f"{stop.name} {stop.place.city}"
    return stop.place.qualified_name


def google_url(origin: Stop | None, destination: Stop, waypoints: list[Stop], mode: str) -> str:
    if len(waypoints) > GOOGLE_MAX_WAYPOINTS:
        raise ProviderError(f"google: Maps URLs carry at most {GOOGLE_MAX_WAYPOINTS} waypoints "
                            f"({len(waypoints)} given)")
    if waypoints and mode == "transit":
        raise ProviderError("google: transit directions cannot include waypoints; "
                            "choose driving, walking or riding, or drop the stops yourself")
    params = [("api", "1")]
    if origin is not None:
        params.append(("origin", _google_point(origin)))
    params.append(("destination", _google_point(destination)))
    params.append(("travelmode", _GOOGLE_MODES[mode]))
    if waypoints:
        params.append(("waypoints", "|".join(_google_point(w) for w in waypoints)))
    return "https://www.google.com/maps/dir/?" + _enc(params)


BUILDERS = {"baidu": baidu_url, "amap": amap_url, "google": google_url}


def build_url(provider: str, origin: Stop | None, destination: Stop, waypoints: list[Stop], mode: str) -> str:
    if provider not in BUILDERS:
        raise ProviderError(f"unknown provider '{provider}'; allowed: {', '.join(PROVIDERS)}")
    if mode not in MODES:
        raise ProviderError(f"unknown mode '{mode}'; allowed: {', '.join(MODES)}")
    return BUILDERS[provider](origin, destination, waypoints, mode)


def route(origin: str | None, destination: str, waypoints: list[str], mode: str,
          provider: str | None) -> tuple[str, str, list[Stop]]:
    """Build the link. With no provider, the first of baidu, amap, google that can carry the route.

    Returns (provider, url, stops in order origin?, waypoints..., destination)."""
    o = Stop.of(origin) if origin else None
    d = Stop.of(destination)
    ws = [Stop.of(w) for w in waypoints]
    stops = ([o] if o else []) + ws + [d]
    if provider is not None:
        return provider, build_url(provider, o, d, ws, mode), stops
    reasons = []
    for p in PROVIDERS:
        try:
            return p, build_url(p, o, d, ws, mode), stops
        except ProviderError as exc:
            reasons.append(str(exc))
    raise ProviderError("no provider can carry this route: " + "; ".join(reasons))
