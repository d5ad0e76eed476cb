"""The README documents every setting and every endpoint (docs never drift from code)."""

from pathlib import Path

from ai_navigator.app import create_app
from ai_navigator.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"`AI_NAVIGATOR_{name.upper()}`" in README, name


def test_every_endpoint_is_documented():
    for route in create_app().routes:
        path = getattr(route, "path", "")
        if path.startswith(("/docs", "/redoc", "/openapi", "/static")):
            continue
        for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}):
            assert f"`{method} {path}`" in README or f"`{method} {path}" in README, (method, path)
