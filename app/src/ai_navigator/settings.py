"""All settings in one object, read from AI_NAVIGATOR_* environment variables.

Command-line flags are passed as init arguments, which pydantic-settings ranks above the
environment, so a flag overrides the variable.
"""

from __future__ import annotations

import socket
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["critical", "error", "warning", "info", "debug"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AI_NAVIGATOR_", extra="ignore", case_sensitive=False)

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port to listen on (one process per port).")
    release: str = Field("dev", description="Release id reported by /version and the X-AI-Navigator-Release header.")
    log_level: LogLevel = Field("info", description="Log level of the JSON logs on stdout.")
    drain_seconds: float = Field(
        1.0, ge=0, le=300,
        description="After SIGTERM: seconds /ready answers 503 while still accepting, so load balancers drain.",
    )
    grace_seconds: float = Field(
        10.0, ge=0, le=3600,
        description="After draining: seconds in-flight requests get to finish before they are cancelled.",
    )
    keepalive_seconds: float = Field(
        75.0, gt=0, le=3600,
        description="Idle keep-alive timeout; keep it above the proxy's upstream keepalive_timeout (nginx: 60 s).",
    )
    max_body_bytes: int = Field(16384, ge=256, le=10_000_000, description="Largest request body accepted (413 above).")
    max_query_chars: int = Field(
        500, ge=10, le=100_000,
        description="Longest natural-language query accepted, counted after normalization (NFKC, whitespace).",
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, le=300,
        description="A connection must deliver a request's complete headers this long after it opens or its "
                    "first byte arrives (idle or slow clients are closed; a partial request gets 408).",
    )
    body_timeout_seconds: float = Field(
        10.0, gt=0, le=3600,
        description="A request's complete body must arrive this long after its headers (408 otherwise).",
    )
    max_connections: int = Field(
        1000, ge=1, le=100_000,
        description="Open client connections at most; more are answered 503 and closed at once. "
                    "Needs max_connections + 64 file descriptors (systemd LimitNOFILE=).",
    )
    instance_name: str = Field("", description="Name of this instance; default '<hostname>:<port>'.")

    @model_validator(mode="after")
    def _default_instance_name(self) -> Settings:
        if not self.instance_name:
            self.instance_name = f"{socket.gethostname()}:{self.port}"
        return self

    @property
    def log_level_upper(self) -> str:
        return self.log_level.upper()
