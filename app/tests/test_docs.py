"""The READMEs document every setting and every endpoint (docs never drift from code):
the service's own, and the repository's "The service" section."""

from pathlib import Path

import pytest

from ai_navigator.app import create_app
from ai_navigator.settings import Settings

APP = Path(__file__).resolve().parent.parent
READMES = [p for p in (APP / "README.md", APP.parent / "README.md") if p.is_file()]


@pytest.fixture(params=READMES, ids=[str(p.relative_to(APP.parent)) for p in READMES])
def readme(request):
    return request.param.read_text(encoding="utf-8")


def test_every_setting_is_documented(readme):
    for name in Settings.model_fields:
        assert f"`AI_NAVIGATOR_{name.upper()}`" in readme, name


def test_every_endpoint_is_documented(readme):
    for route in create_app().routes:
        path = getattr(route, "path", "")
        if path.startswith(("/docs", "/redoc", "/openapi", "/static")):
            continue
        for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}):
            assert f"`{method} {path}`" in readme or f"`{method} {path}" in readme, (method, path)
