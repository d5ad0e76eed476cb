"""Application factory: the HTTP layer (``api``) around the domain logic (``domain``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import SERVICE_NAME, __version__
from .api import errors, navigate, openapi, ops, page, trip_helpers
from .api.metrics import Metrics
from .api.middleware import ServiceMiddleware
from .domain import places, trips
from .lifecycle import Lifecycle
from .settings import Settings

log = logging.getLogger("ai_navigator.app")


def warm_up() -> dict[str, int]:
    """Load every data file before serving: a bad data file fails startup, not a request, and the
    first request does not pay the load. uvicorn completes startup (and we send READY=1) after this."""
    gazetteer = places.gazetteer()
    trips.load_data()
    return dict(gazetteer.count)


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
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
    # Read by the dependencies in api/deps.py (and nowhere else).
    app.state.settings = settings
    app.state.lifecycle = lifecycle or Lifecycle()
    app.state.metrics = Metrics()
    errors.install(app)
    openapi.install(app, settings)
    app.include_router(ops.router)
    app.include_router(navigate.router)
    app.include_router(trip_helpers.router)
    app.include_router(page.router)
    app.add_middleware(ServiceMiddleware, settings=settings, metrics=app.state.metrics, router=app.router,
                       lifecycle=app.state.lifecycle)
    return app
