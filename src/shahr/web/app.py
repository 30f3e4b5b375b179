"""The application factory: settings in, an app whose lifespan migrates and opens the database.

Stateless over its database: every request gets its own session from `deps.SessionDep`, so any number of
processes can serve the same database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shahr import __version__
from shahr.db import make_engine, session_factory, upgrade
from shahr.settings import Settings, get_settings
from shahr.web import pages
from shahr.web.errors import install_error_handlers
from shahr.web.fares import load_fares
from shahr.web.routers import (
    cards,
    civic_staff,
    ckan,
    consultations,
    dashboard,
    deny_list,
    devices,
    health,
    open311,
    passes,
    proposals,
    reports,
    service_days,
    taps,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.fares = load_fares(settings)
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        yield
        engine.dispose()

    app = FastAPI(
        title="shahr",
        version=__version__,
        summary="Fare collection, clearing, citizen participation and open data for a city.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(cards.router)
    app.include_router(passes.router)
    app.include_router(devices.router)
    app.include_router(taps.router)
    app.include_router(service_days.router)
    app.include_router(reports.router)
    app.include_router(deny_list.router)
    app.include_router(civic_staff.router)
    app.include_router(open311.router)
    app.include_router(proposals.router)
    app.include_router(consultations.router)
    app.include_router(dashboard.router)
    app.include_router(ckan.router)
    app.include_router(pages.router)
    app.mount("/static", pages.static_files(), name="static")
    return app
