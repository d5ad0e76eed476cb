"""Operations endpoints: liveness, readiness, version, metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from .. import SERVICE_NAME, __version__
from .deps import LifecycleDep, MetricsDep, SettingsDep

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    service: str
    version: str
    release: str


class Ready(BaseModel):
    status: str


class Version(BaseModel):
    version: str
    release: str
    instance: str


@router.get("/health", response_model=Health, summary="Liveness: the process answers (no I/O)")
async def health(settings: SettingsDep) -> dict[str, str]:
    return {"status": "healthy", "service": SERVICE_NAME, "version": __version__, "release": settings.release}


@router.get("/ready", response_model=Ready, summary="Readiness: 200 while serving, 503 once shutdown begins",
            responses={503: {"model": Ready, "description": "Draining: take this instance out of rotation"}})
async def ready(lifecycle: LifecycleDep) -> JSONResponse | dict[str, str]:
    if lifecycle.draining:
        return JSONResponse(status_code=503, content={"status": "draining"})
    return {"status": "ready"}


@router.get("/version", response_model=Version, summary="Package version, release id and instance name")
async def version(settings: SettingsDep) -> dict[str, str]:
    return {"version": __version__, "release": settings.release, "instance": settings.instance_name}


@router.get("/metrics", summary="Prometheus metrics (text format)", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(metrics: MetricsDep) -> Response:
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
