"""The server-rendered pages, Persian first (right-to-left, `/fa/...`) and English (`/en/...`): reports,
their public list, map and accountability figures, proposals with phone verification, fare consultations,
and the staff's triage and workflow. They call `shahr.civic` inside the request's session, as the JSON
routers do.

    app.include_router(pages.router); app.mount("/static", pages.static_files(), name="static")
"""

from fastapi import APIRouter

from shahr.web.pages import (
    accountability,
    consultations,
    dashboard,
    layers,
    opendata,
    proposals,
    reports,
    staff,
    verify,
)
from shahr.web.pages.rendering import static_files

router = APIRouter()
for part in (reports, accountability, proposals, consultations, dashboard, opendata, verify, staff, layers):
    router.include_router(part.router)

__all__ = ["router", "static_files"]
