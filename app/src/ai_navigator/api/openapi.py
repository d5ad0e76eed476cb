"""The OpenAPI schema states the limits this instance enforces (its Settings), not the model's defaults."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ..settings import Settings


def apply_limits(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Write the Settings-driven limits into a generated schema (in place; returns it)."""
    query = schema["components"]["schemas"]["AiNavigateRequest"]["properties"]["query"]
    query["maxLength"] = settings.max_query_chars
    for operations in schema["paths"].values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["responses"].setdefault(
                    "413", {"description": f"Request body larger than {settings.max_body_bytes} bytes"})
                operation["responses"].setdefault(
                    "415", {"description": "Body not sent as JSON (Content-Type: application/json)"})
    return schema


def install(app: FastAPI, settings: Settings) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # generate() caches the schema in app.openapi_schema; apply_limits edits it in place
            app.openapi_schema = apply_limits(generate(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
