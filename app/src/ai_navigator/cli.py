"""Command line: ``ai-navigator serve --host H --port P`` and ``ai-navigator healthcheck``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import urllib.error
import urllib.request

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
    sub.add_parser("version", help="print the package version")
    h = sub.add_parser("healthcheck", help="exit 0 if the local service answers 200 (a container's HEALTHCHECK)")
    h.add_argument("--port", type=int, default=None, help="port to ask (env AI_NAVIGATOR_PORT, default 8000)")
    h.add_argument("--path", default="/ready", help="path to ask (default /ready: healthy means taking traffic)")
    h.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for the answer (default 2)")
    return p


def healthcheck(args: argparse.Namespace) -> int:
    """Ask the service on this host; no curl in the image, and only the standard library here,
    so a check every few seconds costs a few milliseconds of CPU, not a pydantic import."""
    port = args.port or int(os.environ.get(f"{ENV_PREFIX}PORT", "8000"))
    url = f"http://127.0.0.1:{port}{args.path}"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as response:  # noqa: S310 (fixed http URL)
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"ai-navigator healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"ai-navigator healthcheck: {url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


def describe_invalid_settings(exc) -> str:
    """One line per wrong setting, named as the operator set it (the environment variable)."""
    lines = []
    for error in exc.errors():
        name = "_".join(str(part) for part in error["loc"]) or "settings"
        lines.append(f"  {ENV_PREFIX}{name.upper()}={error.get('input')!r}: {error['msg']}")
    return "\n".join(lines)


def settings_from_args(args: argparse.Namespace):
    """The one settings object: environment first, then any flag given on the command line."""
    from .settings import Settings

    overrides = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    return Settings(**overrides)


def serve(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    from .app import create_app
    from .lifecycle import Lifecycle
    from .logs import setup_logging
    from .server import DrainingServer

    try:
        settings = settings_from_args(args)
    except ValidationError as exc:
        print(f"ai-navigator: invalid settings (flag or environment variable):\n{describe_invalid_settings(exc)}",
              file=sys.stderr)
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
        http="h11",
        lifespan="on",
        log_config=None,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=settings.grace_seconds,
        timeout_keep_alive=settings.keepalive_seconds,
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
