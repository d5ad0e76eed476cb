"""Exception handlers: field errors for bad input, plain messages otherwise, never internals."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..domain.nlp import ParseError
from ..domain.providers import ProviderError
from ..domain.trips import TripError

# Requests the domain logic cannot answer (no destination, a stop a provider cannot carry, an
# unknown place without a distance): 422 with the logic's own message.
UNANSWERABLE = (ParseError, ProviderError, TripError)

log = logging.getLogger("ai_navigator.error")


def _clean(errors: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        out.append({
            "loc": [str(p) for p in err.get("loc", ())],
            "msg": str(err.get("msg", "invalid value"))[:300],
            "type": str(err.get("type", "value_error")),
        })
    return out


def _is_json(content_type: str | None) -> bool:
    # What FastAPI parses as JSON: a media type whose subtype is json or ends in +json.
    subtype = (content_type or "").split(";", 1)[0].strip().lower().partition("/")[2]
    return subtype == "json" or subtype.endswith("+json")


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean(exc.errors())
        if not _is_json(request.headers.get("content-type")) and all(e["loc"] == ["body"] for e in errors):
            # FastAPI reads a body sent as another type (or with none) as bytes, and the model then
            # reports "not a dictionary": the fault is the Content-Type, so name that.
            return JSONResponse(status_code=415, content={"detail": "Invalid request", "errors": [
                {"loc": ["header", "content-type"], "msg": "send the body as JSON (Content-Type: application/json)",
                 "type": "unsupported_media_type"}]})
        return JSONResponse(status_code=422, content={"detail": "Invalid request", "errors": errors})

    async def _unanswerable(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    for error in UNANSWERABLE:
        app.add_exception_handler(error, _unanswerable)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer to a body it cannot decode (e.g. not UTF-8): a validation error like the others.
            return JSONResponse(status_code=422, content={"detail": "Invalid request", "errors": [
                {"loc": ["body"], "msg": "body is not valid UTF-8 JSON", "type": "json_invalid"}]})
        detail = exc.detail if isinstance(exc.detail, (str, dict, list)) else "Error"
        return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _any(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path[:200]})
        return JSONResponse(status_code=500, content={"detail": "Internal error"})
