"""A real server and a real browser: uvicorn serving a fresh app (a new SQLite file, or a new PostgreSQL
database when SHAHR_TEST_POSTGRES_URL is set) in a thread on a free loopback port, and Debian's
headless Chromium driven by Playwright. Every request the browser makes is recorded, and a test fails if
any of them leaves this server.

Chromium is Debian's (`apt-get install chromium`); Playwright's own browser download cannot work here and
is never attempted. Without /usr/bin/chromium the browser tests are skipped, saying so.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from shahr.backoffice.auth import create_staff_token
from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.settings import CivicSettings
from shahr.civic.verification import ConsoleSender
from shahr.settings import Settings
from shahr.web.app import create_app
from shahr.web.routers.proposals import civic_settings, code_sender
from tests.civic.conftest import database_url  # noqa: F401  (the fresh-database fixture, both engines)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
LOCAL_SCHEMES = ("data:", "blob:", "about:")


@dataclass
class LiveServer:
    """The running app: its URL, the app (for its database and overrides) and the code sender."""

    url: str
    app: FastAPI
    sender: ConsoleSender
    requests: list[str] = field(default_factory=list)

    def staff_token(self, role: StaffRole = StaffRole.OPERATOR, name: str = "مریم کارمند") -> str:
        with self.app.state.sessions() as session:
            token = create_staff_token(session, name, role, datetime.now(UTC))
            session.commit()
        return token


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server(database_url: str) -> Iterator[LiveServer]:  # noqa: F811
    """The app under uvicorn in a thread, on a socket bound before the server starts (no port race)."""
    app = create_app(
        Settings(environment="test", database_url=database_url, secret_key="browser-test-secret")
    )
    sender = ConsoleSender(stream=io.StringIO())
    app.dependency_overrides[code_sender] = lambda: sender
    app.dependency_overrides[civic_settings] = lambda: CivicSettings(debate_threshold=1, answer_threshold=3)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app, sender)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the server; afterwards, every URL it asked for must be the
    server's own."""
    context = browser.new_context(base_url=server.url, locale="fa-IR", timezone_id="Asia/Tehran")
    context.on("request", lambda request: server.requests.append(request.url))
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    outside = [url for url in server.requests if not url.startswith((server.url + "/", *LOCAL_SCHEMES))]
    assert outside == [], f"requests left the server: {outside}"
    assert errors == [], f"script errors: {errors}"
