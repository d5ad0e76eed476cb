"""Every bad-input class: field errors (422), body size (413), query length, unknown provider/mode,
broken JSON, wrong types, and no stack trace or 5xx for any input."""

import json

import pytest

POSTS = ["/api/navigate", "/api/ai/navigate", "/api/transport/recommend", "/api/travel/guide", "/api/speed/check"]


def test_missing_field_is_422_with_field_errors(client):
    r = client.post("/api/navigate", json={"origin": "北京"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"loc": ["body", "destination"], "msg": "Field required", "type": "missing"}]


def test_unknown_provider_lists_allowed_values(client):
    r = client.post("/api/navigate", json={"destination": "上海", "provider": "bing"})
    assert r.status_code == 422
    msg = r.json()["errors"][0]["msg"]
    assert all(p in msg for p in ("baidu", "amap", "google"))
    r = client.post("/api/ai/navigate", json={"query": "去上海", "provider": "bing"})
    assert r.status_code == 422 and "amap" in r.json()["errors"][0]["msg"]


def test_unknown_mode_lists_allowed_values(client):
    r = client.post("/api/navigate", json={"destination": "上海", "mode": "flying"})
    assert r.status_code == 422
    msg = r.json()["errors"][0]["msg"]
    assert all(m in msg for m in ("driving", "transit", "walking", "riding"))


def test_extra_fields_are_rejected(client):
    r = client.post("/api/navigate", json={"destination": "上海", "debug": True})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "debug"]


@pytest.mark.parametrize("body", [
    {"destination": ""}, {"destination": "   "}, {"destination": "x" * 101}, {"destination": 5},
    {"destination": "上海", "waypoints": "天津"}, {"destination": "上海", "waypoints": [""]},
    {"destination": "上海", "waypoints": ["a"] * 21}, {"destination": None},
    {"destination": "上海|latlng:0,0"}, {"destination": "上\x00海"}, {"origin": "a\nb", "destination": "上海"},
])
def test_navigate_field_validation(client, body):
    r = client.post("/api/navigate", json=body)
    assert r.status_code == 422 and r.json()["errors"]


def test_broken_json_is_422(client):
    r = client.post("/api/navigate", content='{"destination": "上海"'.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/api/navigate", content=b"[1,2,3]", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/api/navigate", content=b"\xff\xfe\x00", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_body_over_limit_by_content_length_is_413(client, settings):
    big = json.dumps({"query": "去上海", "pad": "x" * settings.max_body_bytes}).encode()
    r = client.post("/api/ai/navigate", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["x-ai-navigator-instance"] == "test-host:1234"


def test_streamed_body_over_limit_is_413(client, settings):
    def chunks():  # no Content-Length: chunked transfer, counted as it arrives
        yield b'{"query": "'
        for _ in range(settings.max_body_bytes // 1000 + 2):
            yield b"x" * 1000
        yield b'"}'

    r = client.post("/api/ai/navigate", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_empty_query_and_whitespace(client):
    for q in ("", "   "):
        r = client.post("/api/ai/navigate", json={"query": q})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "query"]


def test_not_found_and_method_not_allowed_are_json(client):
    r = client.get("/api/navigate")
    assert r.status_code == 405 and r.json()["detail"]
    r = client.get("/nope")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


WEIRD = [None, 0, -1, 1e308, -1e308, "", "\x00", "😀" * 50, "<script>alert(1)</script>", "' OR 1=1 --",
         [], {}, [None], {"a": {"b": {"c": []}}}, True, "从" * 99, "到到到到", "from to via then", "Ｆｒｏｍ　Ａ　ｔｏ　Ｂ",
         "\u202e\u200b", "去\n\r\t上海", "%00%2e%2e/", "去" + "、" * 90 + "上海"]


@pytest.mark.parametrize("path", POSTS)
def test_no_input_gives_5xx(client, path):
    fields = ["origin", "destination", "waypoints", "mode", "provider", "query", "distance_km", "duration_days",
              "style", "current_speed", "road_type", "speed_limit", "budget", "travelers", "budget_level"]
    for value in WEIRD:
        for field in fields:
            for base in ({}, {"destination": "上海", "origin": "北京", "query": "去上海", "duration_days": 2,
                              "current_speed": 50}):
                body = dict(base)
                body[field] = value
                r = client.post(path, json=body)
                assert r.status_code < 500, (path, body, r.text)
                assert "Traceback" not in r.text
    for raw in (b"", b"null", b"NaN", b'{"current_speed": NaN}', b'{"current_speed": Infinity}',
                b'{"distance_km": -Infinity, "origin": "a", "destination": "b"}', b"\x00" * 10):
        r = client.post(path, content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, (path, raw, r.text)


def test_unexpected_error_hides_internals(settings, monkeypatch):
    from fastapi.testclient import TestClient

    from ai_navigator.domain import nlp
    from ai_navigator.app import create_app

    def boom(query):
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(nlp, "parse", boom)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        r = c.post("/api/ai/navigate", json={"query": "去上海"})
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal error"}
    assert "secret" not in r.text and r.headers["x-ai-navigator-release"] == "test-rel"
