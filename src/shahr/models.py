"""Every table of the service, imported in one place so Alembic and `Base.metadata` see them all."""

from shahr.backoffice import auth_tables as auth_tables
from shahr.backoffice import deny_list as deny_list_tables
from shahr.backoffice import tables as backoffice_tables
from shahr.backoffice import taps as tap_tables
from shahr.civic import audit as civic_audit_tables
from shahr.civic import ratelimit as civic_ratelimit_tables
from shahr.civic import verification as civic_person_tables
from shahr.civic.consultations import tables as civic_consultation_tables
from shahr.civic.proposals import tables as civic_proposal_tables
from shahr.civic.reports import tables as civic_report_tables
from shahr.opendata import tables as opendata_tables

__all__ = [
    "backoffice_tables",
    "civic_audit_tables",
    "civic_consultation_tables",
    "civic_person_tables",
    "civic_proposal_tables",
    "civic_ratelimit_tables",
    "civic_report_tables",
    "opendata_tables",
    "deny_list_tables",
    "tap_tables",
]
