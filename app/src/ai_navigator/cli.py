"""Command line: ``ai-navigator serve --host H --port P`` and ``ai-navigator healthcheck``."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `healthcheck` and `version` stay cheap
    from pydantic import ValidationError

    from .settings import Settings

# Setting names as operators write them; the image and the manifests pass these variables.
ENV_PREFIX = "AI_NAVIGATOR_"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ai-navigator", description="AI Navigation Assistant service")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the HTTP service (one process on one port)")
    s.add_argument("--host", help="listen address (env AI_NAVIGATOR_HOST, default 127.0.0.1)")
    s.add_argument("--port", type=int, help="listen port (env AI_NAVIGATOR_PORT, default 8000)")
    s.add_argument("--release", help="release id (env AI_NAVIGATOR_RELEASE, default dev)")
    s.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"],
                   help="log level (env AI_NAVIGATOR_LOG_LEVEL, default info)")
    s.add_argument("--drain-seconds", type=float, help="env AI_NAVIGATOR_DRAIN_SECONDS, default 1.0")
    s.add_argument("--grace-seconds", type=float, help="env AI_NAVIGATOR_GRACE_SECONDS, default 10.0")
    s.add_argument("--instance-name", help="env AI_NAVIGATOR_INSTANCE_NAME, default <hostname>:<port>")
    s.add_argument("--header-timeout-seconds", type=float, help="env AI_NAVIGATOR_HEADER_TIMEOUT_SECONDS, default 10")
    s.add_argument("--body-timeout-seconds", type=float, help="env AI_NAVIGATOR_BODY_TIMEOUT_SECONDS, default 10")
    s.add_argument("--max-connections", type=int, help="env AI_NAVIGATOR_MAX_CONNECTIONS, default 1000")
    sub.add_parser("version", help="print the package version")
    h = sub.add_parser("healthcheck", help="exit 0 if the local service answers 200 (a container's HEALTHCHECK)")
    h.add_argument("--port", type=int, default=None, help="port to ask (env AI_NAVIGATOR_PORT, default 8000)")
    h.add_argument("--path", default="/ready", help="path to ask (default /ready: healthy means taking traffic)")
    h.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for the answer (default 2)")
    return p


def healthcheck(args: argparse.Namespace) -> int:
    """Ask the service on this host; no curl in the image. A plain socket, not urllib or
    http.client (which import the email package): a check every few seconds must stay cheap
    even on a busy host, where the imports alone took longer than the check's timeout."""
    port = args.port or int(os.environ.get(f"{ENV_PREFIX}PORT", "8000"))
    where = f"http://127.0.0.1:{port}{args.path}"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=args.timeout) as conn:
            conn.sendall(f"GET {args.path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            status_line = conn.makefile("rb").readline(200).decode("latin-1").strip()
    except OSError as exc:
        print(f"ai-navigator healthcheck: {where}: {exc}", file=sys.stderr)
        return 1
    parts = status_line.split()
    if len(parts) < 2 or parts[1] != "200":
        print(f"ai-navigator healthcheck: {where}: {status_line or 'no answer'}", file=sys.stderr)
        return 1
    return 0


def describe_invalid_settings(exc: ValidationError) -> str:
    """One line per wrong setting, named as the operator set it (the environment variable)."""
    lines = []
    for error in exc.errors():
        name = "_".join(str(part) for part in error["loc"]) or "settings"
        lines.append(f"  {ENV_PREFIX}{name.upper()}={error.get('input')!r}: {error['msg']}")
    return "\n".join(lines)


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The one settings object: environment first, then any flag given on the command line."""
    from .settings import Settings

    overrides = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    return Settings(**overrides)


def serve(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    from .app import create_app
    from .lifecycle import Lifecycle
    from .runtime.logs import setup_logging
    from .runtime.protocol import bounded_protocol, ensure_fd_limit
    from .runtime.server import DrainingServer

    try:
        settings = settings_from_args(args)
    except ValidationError as exc:
        print(f"ai-navigator: invalid settings (flag or environment variable):\n{describe_invalid_settings(exc)}",
              file=sys.stderr)
        return 2
    try:
        ensure_fd_limit(settings.max_connections)
    except ValueError as exc:
        print(f"ai-navigator: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    lifecycle = Lifecycle()
    app = create_app(settings, lifecycle)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        workers=1,
        loop="asyncio",
        # h11 plus header/body timeouts and a cap on open sockets (uvicorn has no header/body timeout,
        # and its limit_concurrency counts requests, not sockets).
        http=bounded_protocol(settings.header_timeout_seconds, settings.body_timeout_seconds,
                              settings.max_connections),
        lifespan="on",
        log_config=None,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        # uvicorn annotates these as int but uses them as plain seconds (wait_for, call_later):
        # fractions are honoured, and the settings allow them.
        timeout_graceful_shutdown=settings.grace_seconds,  # type: ignore[arg-type]
        timeout_keep_alive=settings.keepalive_seconds,  # type: ignore[arg-type]
    )
    server = DrainingServer(config, lifecycle, settings.drain_seconds)
    server.run()
    if not server.started:
        logging.getLogger("ai_navigator").error("server did not start")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "version":
        from . import __version__
        print(__version__)
        return 0
    if args.command == "healthcheck":
        return healthcheck(args)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
