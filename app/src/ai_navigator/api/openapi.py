"""The OpenAPI schema states the limits this instance enforces (its Settings), not the model's defaults."""

from __future__ import annotations

from fastapi import FastAPI

from ..settings import Settings


def apply_limits(schema: dict, settings: Settings) -> dict:
    """Write the Settings-driven limits into a generated schema (in place; returns it)."""
    query = schema["components"]["schemas"]["AiNavigateRequest"]["properties"]["query"]
    query["maxLength"] = settings.max_query_chars
    for operations in schema["paths"].values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["responses"].setdefault(
                    "413", {"description": f"Request body larger than {settings.max_body_bytes} bytes"})
    return schema


def install(app: FastAPI, settings: Settings) -> None:
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            apply_limits(generate(), settings)  # generate() caches the schema in app.openapi_schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
