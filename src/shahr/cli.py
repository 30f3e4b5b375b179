"""The `shahr` command: one Typer app with a sub-app per domain."""

from __future__ import annotations

import typer

from shahr.batch.cli import settle_command
from shahr.batch.simulate.cli import simulate_app
from shahr.civic.cli import civic_app
from shahr.db.cli import db_app
from shahr.demo import demo
from shahr.fares.cli import fare_app
from shahr.lab.cli import lab_app
from shahr.network.cli import network_app
from shahr.opendata.cli import opendata_app
from shahr.web.serve import serve_command
from shahr.web.staff_cli import staff_app

app = typer.Typer(
    name="shahr",
    help="shahr: integrated transit fares, citizen participation and open data for a city.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(network_app, name="network")
app.add_typer(fare_app, name="fare")
app.add_typer(simulate_app, name="simulate")
app.command("settle")(settle_command)
app.add_typer(db_app, name="db")
app.command("serve")(serve_command)
app.add_typer(staff_app, name="staff")
app.add_typer(civic_app, name="civic")
app.add_typer(lab_app, name="lab")
app.add_typer(opendata_app, name="opendata")
app.command("demo")(demo)
