import pytest
from fastapi.testclient import TestClient

from ai_navigator.app import create_app
from ai_navigator.settings import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(release="test-rel", instance_name="test-host:1234", max_body_bytes=4096, max_query_chars=200)


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
