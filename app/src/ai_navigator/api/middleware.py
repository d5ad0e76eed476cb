"""One pure-ASGI middleware: identity headers, body-size limit, HEAD as GET without a body, metrics,
access log, last-resort 500."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..lifecycle import Lifecycle
from ..runtime.protocol import TIMED_OUT_SCOPE_KEY
from ..settings import Settings
from .metrics import Metrics

access_log = logging.getLogger("ai_navigator.access")
error_log = logging.getLogger("ai_navigator.error")


class BodyTooLarge(HTTPException):
    """Raised from receive() when a streamed body passes the limit.

    It is an HTTPException so FastAPI's body reader re-raises it unchanged and the exception
    handler answers 413 (any other exception there would become a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"Request body larger than {limit} bytes")


def _json_body(status: int, payload: dict[str, str]) -> tuple[Message, Message]:
    body = json.dumps(payload).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    return start, {"type": "http.response.body", "body": body}


class ServiceMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics, router: Router | None = None,
                 lifecycle: Lifecycle | None = None) -> None:
        self.app = app
        self.router = router
        self.lifecycle = lifecycle
        self.limit = settings.max_body_bytes
        self.instance = settings.instance_name
        self.identity = [
            (b"x-ai-navigator-instance", settings.instance_name.encode("latin-1", "replace")),
            (b"x-ai-navigator-release", settings.release.encode("latin-1", "replace")),
        ]
        self.metrics = metrics

    def _template(self, scope: Scope) -> str:
        """Route template for metric labels: never the raw path (unbounded cardinality)."""
        path = getattr(scope.get("route"), "path", None)
        if path:
            return str(path)
        # Routes FastAPI does not tag in the scope (/docs, /openapi.json): match them here.
        for route in getattr(self.router, "routes", ()):
            try:
                match, _ = route.matches(scope)
            except Exception:  # a route that cannot match this scope
                continue
            if match is Match.FULL:
                return str(getattr(route, "path", None) or "unmatched")
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        method = scope.get("method", "")
        server_scope = scope  # the one uvicorn holds (protocol.py marks a timed-out request in it)
        head = method == "HEAD"
        if head:
            # FastAPI routes answer only the methods they declare; HEAD is GET without the body
            # (RFC 9110 9.3.2), so every GET route answers it with the same status and headers.
            scope = {**scope, "method": "GET"}
        state: dict[str, Any] = {"status": 500, "started": False}
        identity = self.identity
        if self.lifecycle is not None and self.lifecycle.draining:
            # While draining, close each keep-alive connection after its response, so a proxy's
            # pooled connections are gone before the listener closes (no request lost on a
            # connection the server is about to drop).
            identity = identity + [(b"connection", b"close")]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                message = {**message, "headers": list(message.get("headers", [])) + identity}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        limit = self.limit
        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        too_large = False
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                too_large = not value.isdigit() or int(value) > limit
                break
        try:
            if too_large:
                start, body = _json_body(413, {"detail": f"Request body larger than {limit} bytes"})
                await send_wrapper(start)
                await send_wrapper(body)
            else:
                await self.app(scope, receive_wrapper, send_wrapper)
        except BodyTooLarge:
            if not state["started"]:
                start, body = _json_body(413, {"detail": f"Request body larger than {limit} bytes"})
                await send_wrapper(start)
                await send_wrapper(body)
        except Exception:  # never let a stack trace or internal text reach a client
            error_log.exception("unhandled error", extra={"path": scope.get("path", "")[:200]})
            if not state["started"]:
                start, body = _json_body(500, {"detail": "Internal error"})
                await send_wrapper(start)
                await send_wrapper(body)
        finally:
            elapsed = time.perf_counter() - t0
            if server_scope.get(TIMED_OUT_SCOPE_KEY):
                state["status"] = 408  # what the client got (protocol.py); the app's answer went nowhere
            route = self._template(scope)
            self.metrics.observe(route, method, state["status"], elapsed)
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "path": scope.get("path", "")[:200],
                    "route": route,
                    "status": state["status"],
                    "duration_ms": round(elapsed * 1000, 3),
                    "instance": self.instance,
                },
            )
