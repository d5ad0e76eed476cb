"""Process lifecycle state shared by the server and the readiness endpoint."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Lifecycle:
    draining: bool = False
