"""Every bad-input class by example: field errors (422), body size (413), query length, unknown
provider/mode, broken JSON, wrong types, a body not sent as JSON (415). That no input gets a 5xx and
every generated bad body a 4xx naming its field: the property tests in test_schema_fuzz.py."""

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
    r = client.post("/api/navigate", content='{"destination": "上海"'.encode(),
                    headers={"content-type": "application/json"})
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


# Bodies that are not JSON objects at all (the generated bad bodies: test_schema_fuzz.py).
RAW = [b"", b"null", b"NaN", b'{"current_speed": NaN}', b'{"current_speed": Infinity}',
       b'{"distance_km": -Infinity, "origin": "a", "destination": "b"}', b"\x00" * 10]


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("raw", RAW, ids=repr)
def test_non_json_and_non_finite_bodies_are_422(client, path, raw):
    r = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, (path, raw, r.text)
    assert r.json()["errors"][0]["loc"][0] == "body"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_body_not_sent_as_json_is_415_naming_the_header(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    r = client.post("/api/navigate", content='{"destination": "上海"}'.encode(), headers=headers)
    assert r.status_code == 415
    assert r.json()["errors"] == [{"loc": ["header", "content-type"], "type": "unsupported_media_type",
                                   "msg": "send the body as JSON (Content-Type: application/json)"}]


@pytest.mark.parametrize("body", [{"current_speed": False}, {"current_speed": "50"}, {"current_speed": 50,
                                                                                       "speed_limit": 0.5}])
def test_speed_values_of_another_type_or_below_one_are_422(client, body):
    r = client.post("/api/speed/check", json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][:2] == ["body", next(reversed(body))], r.text


def test_unexpected_error_hides_internals(settings, monkeypatch):
    from fastapi.testclient import TestClient

    from ai_navigator.app import create_app
    from ai_navigator.domain import nlp

    def boom(_query):
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(nlp, "parse", boom)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        r = c.post("/api/ai/navigate", json={"query": "去上海"})
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal error"}
    assert "secret" not in r.text and r.headers["x-ai-navigator-release"] == "test-rel"
