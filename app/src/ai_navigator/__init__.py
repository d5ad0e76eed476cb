"""AI Navigation Assistant service."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("ai_navigator")
except _metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "1.0.0"

SERVICE_NAME = "AI Navigation Assistant"
