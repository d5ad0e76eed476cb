"""Limits the service enforces, in process: bounded metric labels, HEAD on GET routes, the query
length after normalization, and an OpenAPI schema that states the limits of the running Settings.
(Connection limits and timeouts need real sockets: test_process_limits.py.)"""

import random
import re
import string

import pytest
from fastapi.testclient import TestClient

from ai_navigator.api.metrics import method_label
from ai_navigator.app import create_app
from ai_navigator.domain import nlp
from ai_navigator.settings import Settings


def series(text: str) -> set[str]:
    """Every sample name with its labels (the values differ from scrape to scrape, the series must not)."""
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_random_methods_and_paths_do_not_grow_metrics():
    # A fresh app, so the series present are only the ones this test makes.
    with TestClient(create_app(Settings(instance_name="t")), raise_server_exceptions=False) as client:
        rng = random.Random(9)
        # One request of each kind first: a random method on a route, on no route, a GET on no route.
        client.request("FOO", "/health")
        client.request("FOO", "/nowhere")
        client.get("/nowhere")
        client.get("/metrics")  # the scrape itself is a series too
        before = client.get("/metrics").text
        for i in range(1000):
            method = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(3, 12)))
            path = "/" + "/".join("".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(8))
                                  for _ in range(rng.randint(1, 3)))
            status = client.request(method, path if i % 3 else "/health").status_code
            assert status in (404, 405)
        after = client.get("/metrics").text
    print(f"/metrics: {len(before)} bytes before, {len(after)} bytes after 1000 random methods and paths")
    assert series(after) == series(before)
    # Only the numbers changed (e.g. a count from 1.0 to 334.0): a few characters per line at most.
    assert len(after) - len(before) < 4 * len(before.splitlines())
    assert re.search(r'ai_navigator_http_requests_total\{method="other",route="unmatched",status="404"\}', after)


@pytest.mark.parametrize("method,label", [("GET", "GET"), ("HEAD", "HEAD"), ("PATCH", "PATCH"),
                                          ("get", "other"), ("FOO", "other"), ("", "other")])
def test_method_label_is_one_of_a_fixed_set(method, label):
    assert method_label(method) == label


def get_routes(client) -> list[str]:
    """Every GET route: the ones in the schema, and the ones kept out of it."""
    paths = [path for path, ops in client.get("/openapi.json").json()["paths"].items() if "get" in ops]
    assert {"/", "/health", "/ready", "/version", "/metrics"} <= set(paths)
    return paths + ["/static/chat.js", "/static/chat.css", "/docs", "/redoc", "/openapi.json"]


def test_head_answers_on_every_get_route(client):
    for path in get_routes(client):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        if path != "/metrics":  # its body changes with every request
            assert head.headers["content-length"] == got.headers["content-length"], path
        assert head.headers["x-ai-navigator-instance"] == "test-host:1234"


def test_head_on_a_post_route_is_still_not_allowed(client):
    r = client.head("/api/navigate")
    assert r.status_code == 405 and r.content == b""


def test_query_limit_counts_the_normalized_text(client, settings):
    limit = settings.max_query_chars
    # U+FDFA is one character that NFKC turns into 18: short as sent, far too long as parsed.
    expanding = "去上海" + "\ufdfa" * (limit // 18 + 1)
    assert len(expanding) <= limit < len(nlp.normalize(expanding))
    r = client.post("/api/ai/navigate", json={"query": expanding})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "query"]
    assert "after normalization" in r.json()["errors"][0]["msg"]
    # Exactly at the limit as sent (the inner whitespace collapses when normalized): accepted.
    at_limit = "从北京" + " " * (limit - 6) + "到上海"
    assert len(at_limit) == limit
    r = client.post("/api/ai/navigate", json={"query": at_limit})
    assert r.status_code == 200 and r.json()["destination"] == "上海"
    # Full-width forms are read as ASCII.
    r = client.post("/api/ai/navigate", json={"query": "ｆｒｏｍ Ｂｅｒｌｉｎ ｔｏ Ｍｕｎｉｃｈ"})
    assert r.status_code == 200 and r.json()["destination"] == "Munich"


def test_query_length_is_the_longer_of_sent_and_normalized():
    assert nlp.query_length("a   b") == 5            # whitespace collapses: the text as sent counts
    assert nlp.query_length("\ufdfa") == 18          # NFKC expands: the normalized text counts
    assert nlp.query_length("ＡＢＣ") == 3


@pytest.mark.parametrize("overrides", [{}, {"max_query_chars": 40, "max_body_bytes": 2048}],
                         ids=["defaults", "configured"])
def test_openapi_states_the_limits_of_the_settings(overrides):
    settings = Settings(instance_name="t", **overrides)
    with TestClient(create_app(settings)) as client:
        schema = client.get("/openapi.json").json()
        query = schema["components"]["schemas"]["AiNavigateRequest"]["properties"]["query"]
        assert query["maxLength"] == settings.max_query_chars
        assert query["minLength"] == 1
        posts = [op for ops in schema["paths"].values() for method, op in ops.items() if method == "post"]
        assert len(posts) == 5
        for op in posts:
            assert op["responses"]["413"]["description"] == f"Request body larger than {settings.max_body_bytes} bytes"
        # What the schema states is what is enforced: one character more is refused.
        r = client.post("/api/ai/navigate", json={"query": "去" + "上" * settings.max_query_chars})
        assert r.status_code == 422
        r = client.post("/api/ai/navigate", json={"query": "从北京" + " " * (settings.max_query_chars - 6) + "到上海"})
        assert r.status_code == 200
