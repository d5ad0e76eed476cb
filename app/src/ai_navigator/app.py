"""Application factory."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import SERVICE_NAME, __version__, errors, openapi, places
from . import trips as trip_logic
from .api import navigate, ops, page, trips
from .lifecycle import Lifecycle
from .metrics import Metrics
from .middleware import ServiceMiddleware
from .settings import Settings


log = logging.getLogger("ai_navigator.app")


def warm_up() -> dict:
    """Load every data file before serving: a bad data file fails startup, not a request, and the
    first request does not pay the load. uvicorn completes startup (and we send READY=1) after this."""
    g = places.gazetteer()
    for name in ("transport.json", "travel_guide.json", "speed_limits.json"):
        trip_logic._data(name)
    return dict(g.count)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    log.info("data loaded", extra={"event": "data_loaded", "places": warm_up()})
    yield


def create_app(settings: Settings | None = None, lifecycle: Lifecycle | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title=SERVICE_NAME,
        version=__version__,
        description="Natural-language route links for Baidu, Amap and Google maps, offline place data, trip helpers.",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.lifecycle = lifecycle or Lifecycle()
    app.state.metrics = Metrics()
    errors.install(app)
    openapi.install(app, settings)
    app.include_router(ops.router)
    app.include_router(navigate.router)
    app.include_router(trips.router)
    app.include_router(page.router)
    app.add_middleware(ServiceMiddleware, settings=settings, metrics=app.state.metrics, router=app.router,
                       lifecycle=app.state.lifecycle)
    return app
