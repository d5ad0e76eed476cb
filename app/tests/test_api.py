"""Every endpoint over HTTP (FastAPI TestClient)."""

from urllib.parse import parse_qsl, urlsplit

import pytest


def qs(url):
    return dict(parse_qsl(urlsplit(url).query))


# --- /api/navigate ---------------------------------------------------------------------------------
def test_navigate_baidu(client):
    r = client.post("/api/navigate", json={"origin": "北京", "destination": "上海", "provider": "baidu"})
    assert r.status_code == 200
    body = r.json()
    assert {k: body[k] for k in ("origin", "destination", "waypoints", "mode", "provider")} == {
        "origin": "北京", "destination": "上海", "waypoints": [], "mode": "driving", "provider": "baidu"}
    assert body["url"].startswith("https://api.map.baidu.com/direction?")
    assert [p["matched"] for p in body["places"]] == ["北京市", "上海市"]


def test_navigate_google_keeps_every_stop_in_order(client):
    body = {"origin": "北京", "destination": "上海", "waypoints": ["天津", "济南", "南京"], "mode": "driving",
            "provider": "google"}
    r = client.post("/api/navigate", json=body)
    assert r.status_code == 200
    assert qs(r.json()["url"])["waypoints"].split("|") == ["天津市", "济南市", "南京市"]
    assert [p["role"] for p in r.json()["places"]] == ["origin", "waypoint", "waypoint", "waypoint", "destination"]


def test_navigate_amap_without_origin(client):
    r = client.post("/api/navigate", json={"destination": "外滩", "mode": "walking", "provider": "amap"})
    assert r.status_code == 200
    assert r.json()["origin"] is None and qs(r.json()["url"])["mode"] == "walk"


def test_navigate_auto_provider(client):
    r = client.post("/api/navigate", json={"destination": "公园", "mode": "walking"})
    assert r.status_code == 200 and r.json()["provider"] == "google"


@pytest.mark.parametrize("body,needle", [
    ({"origin": "北京", "destination": "上海", "waypoints": ["济南"], "provider": "baidu"}, "waypoint"),
    ({"origin": "北京", "destination": "上海", "waypoints": ["天津", "济南"], "provider": "amap"}, "one waypoint"),
    ({"origin": "北京", "destination": "上海", "waypoints": ["天津"], "mode": "transit", "provider": "google"},
     "transit"),
    ({"origin": "北京", "destination": "天津", "mode": "riding", "provider": "baidu"}, "riding"),
    ({"destination": "公园", "provider": "amap"}, "gazetteer"),
])
def test_navigate_never_drops_a_stop(client, body, needle):
    r = client.post("/api/navigate", json=body)
    assert r.status_code == 422 and needle in r.json()["detail"]


# --- /api/ai/navigate ------------------------------------------------------------------------------
@pytest.mark.parametrize("query,origin,destination,mode", [
    ("从家步行到公园", "家", "公园", "walking"),
    ("导航到上海", None, "上海", "driving"),
    ("我想去上海", None, "上海", "driving"),
    ("drive from Beijing to Shanghai via Jinan using google maps", "Beijing", "Shanghai", "driving"),
])
def test_ai_navigate(client, query, origin, destination, mode):
    r = client.post("/api/ai/navigate", json={"query": query})
    assert r.status_code == 200, r.text
    b = r.json()
    assert (b["query"], b["origin"], b["destination"], b["mode"]) == (query, origin, destination, mode)
    assert b["url"].startswith("https://")


def test_ai_navigate_provider_from_query_and_override(client):
    assert client.post("/api/ai/navigate", json={"query": "用高德去外滩"}).json()["provider"] == "amap"
    r = client.post("/api/ai/navigate", json={"query": "用高德去外滩", "provider": "google"})
    assert r.json()["provider"] == "google"


def test_ai_navigate_waypoints_in_order(client):
    r = client.post("/api/ai/navigate", json={"query": "从北京出发依次经过天津、济南到上海"})
    assert r.status_code == 200
    assert r.json()["waypoints"] == ["天津", "济南"] and r.json()["provider"] == "google"


def test_ai_navigate_no_destination(client):
    r = client.post("/api/ai/navigate", json={"query": "你好"})
    assert r.status_code == 422 and "destination" in r.json()["detail"]


def test_ai_navigate_query_length_limit(client, settings):
    r = client.post("/api/ai/navigate", json={"query": "去" + "上" * settings.max_query_chars})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "query"]


# --- trip helpers ----------------------------------------------------------------------------------
def test_transport_from_coordinates(client):
    r = client.post("/api/transport/recommend", json={"origin": "北京", "destination": "上海"})
    assert r.status_code == 200
    b = r.json()
    assert b["distance_source"] == "coordinates" and 1050 < b["distance_km"] < 1090
    assert b["recommended"] in {o["mode"] for o in b["options"]}


def test_transport_unknown_place_needs_distance(client):
    r = client.post("/api/transport/recommend", json={"origin": "家", "destination": "公司"})
    assert r.status_code == 422 and "distance_km" in r.json()["detail"] and "家" in r.json()["detail"]
    r = client.post("/api/transport/recommend", json={"origin": "家", "destination": "公司", "distance_km": 5})
    assert r.status_code == 200 and r.json()["distance_km"] == 5 and r.json()["distance_source"] == "request"


def test_transport_short_hop_is_walkable(client):
    b = client.post("/api/transport/recommend", json={"origin": "外滩", "destination": "东方明珠"}).json()
    assert b["distance_km"] < 2 and "walking" in {o["mode"] for o in b["options"]}
    assert "flight" not in {o["mode"] for o in b["options"]}


def test_travel_guide_no_repeats_and_budget(client):
    r = client.post("/api/travel/guide", json={"destination": "Beijing", "duration_days": 6, "style": "intensive"})
    assert r.status_code == 200
    b = r.json()
    seen = [a for d in b["days"] for a in d["attractions"]]
    assert len(seen) == len(set(seen)) and len(b["days"]) == 6
    assert b["budget_cny"]["total"] == sum(v for k, v in b["budget_cny"].items() if k not in ("total", "per_person"))


def test_travel_guide_has_at_least_ten_cities():
    from ai_navigator.domain.trips import supported_cities
    assert len(supported_cities()) >= 10


def test_travel_guide_unknown_city(client):
    r = client.post("/api/travel/guide", json={"destination": "拉萨", "duration_days": 2})
    assert r.status_code == 422 and "北京市" in r.json()["detail"]


@pytest.mark.parametrize("body,status", [
    ({"current_speed": 130, "road_type": "expressway"}, "over_limit"),
    ({"current_speed": 100, "road_type": "expressway"}, "ok"),
    ({"current_speed": 40, "road_type": "expressway"}, "too_slow"),
    ({"current_speed": 80}, "severely_over_limit"),
    ({"current_speed": 55, "speed_limit": 60}, "ok"),
])
def test_speed_check(client, body, status):
    r = client.post("/api/speed/check", json=body)
    assert r.status_code == 200 and r.json()["status"] == status


@pytest.mark.parametrize("speed", [-1, -0.01, 400.5, 10000, "fast", None])
def test_speed_check_rejects_absurd(client, speed):
    r = client.post("/api/speed/check", json={"current_speed": speed})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "current_speed"]


# --- page and docs ---------------------------------------------------------------------------------
def test_chat_page(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "script-src 'self'" in r.headers["content-security-policy"]
    js = client.get("/static/chat.js")
    assert js.status_code == 200 and "/api/ai/navigate" in js.text
    code = [ln for ln in js.text.splitlines() if not ln.strip().startswith("//")]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert not any(sink in ln for ln in code), sink
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.get("/static/nope.js").status_code == 404


def test_openapi_lists_every_endpoint_with_schemas(client):
    spec = client.get("/openapi.json").json()
    for path, method in [("/api/navigate", "post"), ("/api/ai/navigate", "post"), ("/api/transport/recommend", "post"),
                         ("/api/travel/guide", "post"), ("/api/speed/check", "post")]:
        op = spec["paths"][path][method]
        assert "requestBody" in op and "$ref" in str(op["responses"]["200"])
    for path in ("/health", "/ready", "/version", "/metrics", "/"):
        assert "get" in spec["paths"][path]
    assert client.get("/docs").status_code == 200
