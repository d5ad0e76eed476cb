"""The chat page at / and its two static assets."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["page"])

_TYPES = {"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}
# Scripts only from this origin; no inline script, no framing.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def _asset(name: str) -> str:
    return (resources.files("ai_navigator") / "static" / name).read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, summary="Chat page: ask for a route in Chinese or English")
async def index() -> HTMLResponse:
    return HTMLResponse(_asset("index.html"), headers=_PAGE_HEADERS)


@router.get("/static/{name}", include_in_schema=False)
async def static(name: str) -> Response:
    if name not in _TYPES:
        return Response('{"detail":"Not Found"}', status_code=404, media_type="application/json")
    return Response(_asset(name), media_type=_TYPES[name], headers=_PAGE_HEADERS)
