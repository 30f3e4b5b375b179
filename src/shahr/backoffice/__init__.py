"""The back office's money core: smart cards and the double-entry ledger behind their balances.

`cards` holds the commands (create, top up, refund, adjust, block, report lost, replace), `ledger` the
postings and balances, `idempotency` what makes commands safe to retry. See docs/backoffice.md.
"""

from shahr.backoffice.cards import (
    Receipt,
    adjust,
    block,
    create_card,
    find_card,
    get_card,
    refund,
    replace,
    report_lost,
    top_up,
)
from shahr.backoffice.ledger import balance, is_balanced, open_account, post, reverse, trial_balance
from shahr.backoffice.tables import AccountKind, Card, CardStatus, Transaction, TransactionKind

__all__ = [
    "AccountKind",
    "Card",
    "CardStatus",
    "Receipt",
    "Transaction",
    "TransactionKind",
    "adjust",
    "balance",
    "block",
    "create_card",
    "find_card",
    "get_card",
    "is_balanced",
    "open_account",
    "post",
    "refund",
    "replace",
    "report_lost",
    "reverse",
    "top_up",
    "trial_balance",
]
