"""`shahr serve`: the web app under uvicorn; migrations are applied as it starts."""

from __future__ import annotations

from typing import Annotated

import typer


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (the app is stateless).")] = 1,
) -> None:
    """Run the service (database from SHAHR_DATABASE_URL, a SQLite file by default)."""
    import uvicorn

    uvicorn.run("shahr.web.app:create_app", factory=True, host=host, port=port, workers=workers)
