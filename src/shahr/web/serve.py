"""`shahr serve`: the web app under uvicorn; migrations are applied as it starts.

With several workers the socket is bound here, not by uvicorn: uvicorn 0.54 binds its workers' socket
with protocol 0, and asyncio only turns on `TCP_NODELAY` for sockets whose protocol is TCP, so every
keep-alive request after a connection's first would wait for a delayed ACK (about 40 ms; uvicorn issue
3149). Binding with `IPPROTO_TCP` gives the workers' connections `TCP_NODELAY` as one worker has it.
The migrations run once, before the workers start, so they never race each other in Alembic; each
worker's own start then finds the database at the newest revision.
"""

from __future__ import annotations

import logging
import socket
from typing import Annotated

import typer

APP = "shahr.web.app:create_app"
STARTUP_FAILURE = 3
"""The exit status uvicorn gives when it cannot start (`uvicorn.config.STARTUP_FAILURE`)."""


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (the app is stateless).")] = 1,
) -> None:
    """Run the service (database from SHAHR_DATABASE_URL, a SQLite file by default)."""
    import uvicorn

    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port)
        return
    _serve_workers(host, port, workers)


def _serve_workers(host: str, port: int, workers: int) -> None:
    """Migrate, bind the socket with TCP_NODELAY on its connections, and run uvicorn's supervisor of
    `workers` processes on it."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from shahr.db import upgrade
    from shahr.settings import get_settings

    upgrade(get_settings().database_url)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, workers=workers)
    log = logging.getLogger("uvicorn.error")
    try:
        sock = tcp_socket(host, port)
    except OSError as exc:
        log.error("cannot listen on %s port %d: %s", host, port, exc)
        raise typer.Exit(STARTUP_FAILURE) from exc
    log.info("Uvicorn running on http://%s:%d with %d workers (Press CTRL+C to quit)", host, port, workers)
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()


def tcp_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket that worker processes can inherit, created with protocol `IPPROTO_TCP` so
    asyncio sets `TCP_NODELAY` on the connections it accepts (as uvicorn does for one worker)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
