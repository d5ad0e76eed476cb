"""Application factory."""

from __future__ import annotations

from fastapi import FastAPI

from . import SERVICE_NAME, __version__, errors
from .api import navigate, ops, page, trips
from .lifecycle import Lifecycle
from .metrics import Metrics
from .middleware import ServiceMiddleware
from .settings import Settings


def create_app(settings: Settings | None = None, lifecycle: Lifecycle | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title=SERVICE_NAME,
        version=__version__,
        description="Natural-language route links for Baidu, Amap and Google maps, offline place data, trip helpers.",
    )
    app.state.settings = settings
    app.state.lifecycle = lifecycle or Lifecycle()
    app.state.metrics = Metrics()
    errors.install(app)
    app.include_router(ops.router)
    app.include_router(navigate.router)
    app.include_router(trips.router)
    app.include_router(page.router)
    app.add_middleware(ServiceMiddleware, settings=settings, metrics=app.state.metrics, router=app.router)
    return app
