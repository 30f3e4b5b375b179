"""Every table of the service, imported in one place so Alembic and `Base.metadata` see them all."""

from shahr.backoffice import auth_tables as auth_tables
from shahr.backoffice import tables as backoffice_tables
from shahr.backoffice import taps as tap_tables

__all__ = ["backoffice_tables", "tap_tables"]
