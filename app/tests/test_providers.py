"""URL building per provider: documented parameter names, values and order of stops."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from ai_navigator.domain.providers import ProviderError, Stop, build_url, route


def q(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qsl(parts.query, keep_blank_values=True)


S = Stop.of


# Baidu: https://lbsyun.baidu.com/index.php?title=uri/api/web  /direction
def test_baidu_names_and_coordinates():
    base, params = q(build_url("baidu", S("北京"), S("上海"), [], "driving"))
    assert base == "https://api.map.baidu.com/direction"
    d = dict(params)
    assert [k for k, _ in params] == ["origin", "destination", "mode", "origin_region", "destination_region",
                                      "output", "coord_type", "src"]
    assert d["origin"] == "name:北京|latlng:39.904211,116.407394"  # latitude first, as documented
    assert d["destination"].startswith("name:上海|latlng:31.23")
    assert d["mode"] == "driving" and d["output"] == "html" and d["coord_type"] == "gcj02"
    assert d["origin_region"] == "北京市" and d["destination_region"] == "上海市"
    assert d["src"]


def test_baidu_unknown_places_by_name():
    _, params = q(build_url("baidu", S("家"), S("公园"), [], "walking"))
    d = dict(params)
    assert d["origin"] == "家" and d["destination"] == "公园" and d["mode"] == "walking"
    assert "coord_type" not in d and "region" not in d


def test_baidu_unknown_origin_is_searched_in_the_destination_city():
    base, params = q(build_url("baidu", S("家"), S("外滩"), [], "walking"))
    d = dict(params)
    assert d["origin"] == "家" and d["region"] == "上海市" and d["destination_region"] == "上海市"
    assert d["destination"].startswith("name:外滩|latlng:31.24")


@pytest.mark.parametrize("mode,expected", [("driving", "driving"), ("transit", "transit"), ("walking", "walking")])
def test_baidu_modes(mode, expected):
    assert dict(q(build_url("baidu", S("北京"), S("天津"), [], mode))[1])["mode"] == expected


def test_baidu_refuses_what_it_cannot_carry():
    with pytest.raises(ProviderError, match="waypoint"):
        build_url("baidu", S("北京"), S("上海"), [S("济南")], "driving")
    with pytest.raises(ProviderError, match="riding"):
        build_url("baidu", S("北京"), S("天津"), [], "riding")
    with pytest.raises(ProviderError, match="origin"):
        build_url("baidu", None, S("上海"), [], "driving")


# Amap: https://lbs.amap.com/api/uri-api/guide/travel/route
def test_amap_coordinates_lon_first():
    base, params = q(build_url("amap", S("外滩"), S("东方明珠"), [S("豫园")], "driving"))
    assert base == "https://uri.amap.com/navigation"
    assert [k for k, _ in params] == ["from", "to", "via", "mode", "policy", "src", "coordinate", "callnative"]
    d = dict(params)
    assert d["from"] == "121.490317,31.241701,外滩"
    assert d["to"] == "121.499740,31.239853,东方明珠"
    assert d["via"] == "121.492498,31.227203,豫园"
    assert d["mode"] == "car" and d["coordinate"] == "gaode"


@pytest.mark.parametrize("mode,expected", [("driving", "car"), ("transit", "bus"), ("walking", "walk"),
                                           ("riding", "ride")])
def test_amap_modes(mode, expected):
    assert dict(q(build_url("amap", None, S("西湖"), [], mode))[1])["mode"] == expected


def test_amap_no_origin_means_current_location():
    d = dict(q(build_url("amap", None, S("上海"), [], "driving"))[1])
    assert "from" not in d and d["to"].endswith(",上海")


def test_amap_refuses_what_it_cannot_carry():
    with pytest.raises(ProviderError, match="at most one waypoint"):
        build_url("amap", S("北京"), S("上海"), [S("天津"), S("济南")], "driving")
    with pytest.raises(ProviderError, match="only when driving"):
        build_url("amap", S("北京"), S("上海"), [S("天津")], "walking")
    with pytest.raises(ProviderError, match="公园.*not in the offline gazetteer"):
        build_url("amap", None, S("公园"), [], "walking")
    with pytest.raises(ProviderError, match="家"):
        build_url("amap", S("家"), S("上海"), [], "driving")


# Google: https://developers.google.com/maps/documentation/urls/get-started#directions-action
def test_google_waypoints_in_order():
    base, params = q(build_url("google", S("北京"), S("上海"), [S("天津"), S("济南"), S("南京")], "driving"))
    assert base == "https://www.google.com/maps/dir/"
    assert [k for k, _ in params] == ["api", "origin", "destination", "travelmode", "waypoints"]
    d = dict(params)
    assert d["api"] == "1" and d["travelmode"] == "driving"
    assert d["origin"] == "北京市" and d["destination"] == "上海市"
    assert d["waypoints"].split("|") == ["天津市", "济南市", "南京市"]


def test_google_names_for_unknown_and_landmarks():
    d = dict(q(build_url("google", S("home"), S("外滩"), [S("gym")], "walking"))[1])
    assert d["origin"] == "home" and d["destination"] == "外滩 上海市" and d["waypoints"] == "gym"


@pytest.mark.parametrize("mode,expected", [("driving", "driving"), ("transit", "transit"), ("walking", "walking"),
                                           ("riding", "bicycling")])
def test_google_modes(mode, expected):
    d = dict(q(build_url("google", None, S("上海"), [], mode))[1])
    assert d["travelmode"] == expected and "origin" not in d


def test_google_refuses_what_it_cannot_carry():
    with pytest.raises(ProviderError, match="transit"):
        build_url("google", S("北京"), S("上海"), [S("天津")], "transit")
    with pytest.raises(ProviderError, match="at most 9"):
        build_url("google", S("北京"), S("上海"), [S(f"stop{i}") for i in range(10)], "driving")


def test_auto_provider_picks_first_that_can_carry_everything():
    assert route("北京", "上海", [], "driving", None)[0] == "baidu"
    assert route(None, "上海", [], "driving", None)[0] == "amap"            # baidu needs an origin
    assert route(None, "公园", [], "walking", None)[0] == "google"          # amap needs coordinates
    provider, url, stops = route("北京", "上海", ["天津", "济南"], "driving", None)
    assert provider == "google" and [s.name for s in stops] == ["北京", "天津", "济南", "上海"]
    with pytest.raises(ProviderError, match="no provider"):
        route("北京", "上海", ["天津", "济南"], "transit", None)


def test_unknown_provider_and_mode_list_allowed_values():
    with pytest.raises(ProviderError, match="baidu, amap, google"):
        build_url("bing", None, S("上海"), [], "driving")
    with pytest.raises(ProviderError, match="driving, transit, walking, riding"):
        build_url("google", None, S("上海"), [], "flying")
