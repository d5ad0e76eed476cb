from ai_navigator import __version__


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "healthy", "service": "AI Navigation Assistant",
                        "version": __version__, "release": "test-rel"}


def test_identity_headers_on_every_response(client):
    for path in ("/health", "/version", "/nope"):
        r = client.get(path)
        assert r.headers["x-ai-navigator-instance"] == "test-host:1234"
        assert r.headers["x-ai-navigator-release"] == "test-rel"


def test_version(client):
    assert client.get("/version").json() == {"version": "1.0.0", "release": "test-rel", "instance": "test-host:1234"}


def test_ready_then_draining(settings):
    from fastapi.testclient import TestClient

    from ai_navigator.app import create_app
    from ai_navigator.lifecycle import Lifecycle

    lc = Lifecycle()
    with TestClient(create_app(settings, lc)) as c:
        assert c.get("/ready").json() == {"status": "ready"}
        lc.draining = True
        r = c.get("/ready")
        assert r.status_code == 503 and r.json() == {"status": "draining"}
        assert r.headers["connection"] == "close"


def test_metrics_by_route_template(client):
    client.get("/health")
    client.get("/definitely/not/here/12345")
    client.get("/openapi.json")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'ai_navigator_http_requests_total{method="GET",route="/health",status="200"}' in text
    assert "ai_navigator_http_request_duration_seconds_bucket" in text
    assert "/definitely/not/here" not in text  # raw paths never become labels
    assert 'route="unmatched",status="404"' in text
    assert 'route="/openapi.json",status="200"' in text


def test_settings_from_env(monkeypatch):
    from ai_navigator.settings import Settings

    monkeypatch.setenv("AI_NAVIGATOR_PORT", "8555")
    monkeypatch.setenv("AI_NAVIGATOR_RELEASE", "r42")
    s = Settings()
    assert s.port == 8555 and s.release == "r42" and s.instance_name.endswith(":8555")
    assert Settings(port=9000).port == 9000  # CLI flags (init args) beat the environment


def test_handlers_take_settings_and_lifecycle_from_their_dependencies(settings):
    from fastapi.testclient import TestClient

    from ai_navigator.api.deps import get_lifecycle, get_settings
    from ai_navigator.app import create_app
    from ai_navigator.lifecycle import Lifecycle

    app = create_app(settings)
    app.dependency_overrides[get_settings] = lambda: settings.model_copy(update={"release": "overridden"})
    app.dependency_overrides[get_lifecycle] = lambda: Lifecycle(draining=True)
    with TestClient(app) as c:
        assert c.get("/version").json()["release"] == "overridden"
        assert c.get("/health").json()["release"] == "overridden"
        assert c.get("/ready").status_code == 503
