"""uvicorn.Server with the preStop drain pattern and systemd notification.

On the first SIGTERM/SIGINT:
  1. readiness (/ready) turns 503 at once and systemd is told STOPPING=1;
  2. the listening socket keeps accepting for ``drain_seconds`` so a load balancer that polls
     /ready sees 503 and takes the instance out before connections are refused;
  3. then uvicorn's own shutdown runs: stop accepting, let in-flight requests finish within
     ``timeout_graceful_shutdown`` (our GRACE_SECONDS), run lifespan shutdown;
  4. the process exits 0.
A second signal during the drain skips the rest of the drain; SIGINT once shutdown has begun
forces exit (uvicorn's Ctrl-C behaviour).

uvicorn's ``handle_exit`` records signals and re-raises them after serving (so the default
handler kills the process with the signal). We do not record them: a graceful stop exits 0,
which is what systemd and our tests expect.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import time
from types import FrameType

import uvicorn

from ..lifecycle import Lifecycle
from . import sdnotify

log = logging.getLogger("ai_navigator.server")


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, drain_seconds: float) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.drain_seconds = drain_seconds
        self._drain_started_at: float | None = None
        self._stopping_notified = False
        self._watchdog_task: asyncio.Task[None] | None = None

    # Runs in the signal handler: only set plain attributes, the loop picks them up in on_tick.
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_started_at is None:
            self._drain_started_at = time.monotonic()
            self.lifecycle.draining = True
            if self.drain_seconds <= 0:
                self.should_exit = True
        elif not self.should_exit:
            self.should_exit = True  # second signal: stop draining now
        elif sig == signal.SIGINT:
            self.force_exit = True

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            sdnotify.notify("READY=1")
            interval = sdnotify.watchdog_interval()
            if interval:
                self._watchdog_task = asyncio.create_task(self._watchdog(interval))
            log.info("ready", extra={"event": "ready", "drain_seconds": self.drain_seconds,
                                     "grace_seconds": self.config.timeout_graceful_shutdown})

    async def _watchdog(self, interval: float) -> None:
        # Pings from the serving event loop: if the loop hangs, the pings stop and systemd's
        # WatchdogSec= kills and restarts the instance.
        while True:
            sdnotify.notify("WATCHDOG=1")
            await asyncio.sleep(interval)

    async def on_tick(self, counter: int) -> bool:
        if self._drain_started_at is not None:
            if not self._stopping_notified:
                self._stopping_notified = True
                sdnotify.notify("STOPPING=1")
                log.info("draining", extra={"event": "draining", "drain_seconds": self.drain_seconds})
            if time.monotonic() - self._drain_started_at >= self.drain_seconds:
                self.should_exit = True
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if not self._stopping_notified:
            self._stopping_notified = True
            sdnotify.notify("STOPPING=1")
        self.lifecycle.draining = True
        await super().shutdown(sockets=sockets)
        if self._watchdog_task is not None:
            self._watchdog_task.cancel()
