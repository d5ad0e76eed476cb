"""What handlers depend on, declared as FastAPI dependencies (``Annotated[..., Depends()]``).

``create_app`` puts the one Settings object, the process Lifecycle and the Metrics registry on
``app.state``; this module is the only place that reads them from there. A handler names what it
needs by type (``settings: SettingsDep``), and a test can swap one with
``app.dependency_overrides[get_settings]``.

The functions are ``async def`` although they only read an attribute: FastAPI runs a plain ``def``
dependency in its thread pool, a hop that costs more than the handler's own work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..lifecycle import Lifecycle
from ..settings import Settings
from .metrics import Metrics


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_lifecycle(request: Request) -> Lifecycle:
    lifecycle: Lifecycle = request.app.state.lifecycle
    return lifecycle


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
LifecycleDep = Annotated[Lifecycle, Depends(get_lifecycle)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
