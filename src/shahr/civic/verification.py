"""Verified persons: a phone number proven by a one-time code, so that one person gives one support.

The number itself is never stored: a person is the HMAC of the normalised number under the service's
secret (`phone_hash`), enough to recognise the same number again and useless to whoever copies the table.
Codes are stored as HMACs too, expire after `code_lifetime_s` and allow `code_attempts` wrong guesses.
A verified person gets a person token, `<person_id>.<expires>.<mac>` (a keyed MAC like the back office's
card tokens, with an expiry), sent as `Authorization: Person <token>`.

    ShahrError
     ├── VerificationError
     │    ├── InvalidPhone        422: not a phone number
     │    ├── ChallengeNotFound   404: no such challenge
     │    ├── ChallengeClosed     409: expired, already used, or out of attempts
     │    └── CodeNotSent         503: the sender failed
     └── AuthError (backoffice.auth)
          └── NotAuthenticated
               └── BadPersonToken 401: a person token forged, expired, or of a person not on record
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import re
import secrets
import sys
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TextIO

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shahr.backoffice.auth import NotAuthenticated
from shahr.backoffice.tables import UTCDateTime
from shahr.civic.settings import CivicSettings
from shahr.civic.text import to_ascii_digits
from shahr.db.base import Base
from shahr.errors import ShahrError

_E164 = re.compile(r"^[1-9][0-9]{7,14}$")
_SEPARATORS = re.compile(r"[\s\-().\u200c\u200f\u200e]")


class VerificationError(ShahrError):
    """A phone verification step refused."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class InvalidPhone(VerificationError):
    """Not a phone number: international (+98912..., 0098912...) or national (0912...) are accepted."""


class ChallengeNotFound(VerificationError):
    """No challenge with this id: mistyped, or from another installation."""


class ChallengeClosed(VerificationError):
    """The challenge expired, was already used, or had too many wrong codes: ask for a new code."""


class CodeNotSent(VerificationError):
    """The code sender failed (the SMS gateway is down): nothing was stored, the caller may try again."""


class BadPersonToken(NotAuthenticated):
    """A person token that is malformed, not signed with this service's secret, expired, or names a
    person not on record."""


class Person(Base):
    """A verified person: a phone number's HMAC and when it was last proven."""

    __tablename__ = "civic_persons"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Challenge(Base):
    """A code sent to a phone, waiting to be typed back."""

    __tablename__ = "civic_verification_challenges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    """Wrong codes typed so far."""
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CodeSender(Protocol):
    """Delivers a code to a phone. It gets the code, not a message: Iranian SMS gateways send codes
    through templates registered with them (a "lookup" or "verify" call with the code as its token)."""

    def send(self, phone: str, code: str, expires_at: datetime) -> None: ...


@dataclass(frozen=True)
class SentCode:
    phone: str
    code: str
    expires_at: datetime


class ConsoleSender:
    """For development and tests: prints each code (to stderr by default) and keeps the last 100 in
    `sent`. Refused in production by `load_sender`."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.sent: deque[SentCode] = deque(maxlen=100)

    def send(self, phone: str, code: str, expires_at: datetime) -> None:
        self.sent.append(SentCode(phone, code, expires_at))
        print(
            f"verification code for {phone}: {code} (until {expires_at.isoformat()})",
            file=self.stream or sys.stderr,
        )


@dataclass(frozen=True)
class Verified:
    """The person's id and token; `new` when this phone was never verified before."""

    person_id: str
    token: str
    expires_at: datetime
    new: bool


@dataclass(frozen=True)
class WrongCode:
    """The code did not match; the attempt is counted (commit it), `attempts_left` more are allowed."""

    attempts_left: int


def load_sender(path: str, environment: str) -> CodeSender:
    """The sender named `module:Class` in the settings, built with no arguments."""
    module_name, _, class_name = path.partition(":")
    sender: CodeSender = getattr(importlib.import_module(module_name), class_name)()
    if environment == "production" and isinstance(sender, ConsoleSender):
        raise ValueError("SHAHR_CIVIC_CODE_SENDER must name a real sender in production, not ConsoleSender")
    return sender


def normalize_phone(raw: str, country_code: str) -> str:
    """`+<country><number>` (E.164) from a number typed with any digits (Persian, Arabic-Indic) and
    separators; a national number (one leading 0) gets `country_code`."""
    text = to_ascii_digits(_SEPARATORS.sub("", raw))
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0"):
        digits = country_code + text[1:]
    else:
        digits = ""
    if not _E164.match(digits):
        raise InvalidPhone(
            f"{raw!r} is not a phone number: write it as 09121234567 or +989121234567", field="body.phone"
        )
    return f"+{digits}"


def phone_hash(phone: str, settings: CivicSettings, secret: str) -> str:
    """The key a phone number is known by (also its rate-limit subject): HMAC of the normalised number."""
    normalized = normalize_phone(phone, settings.phone_country_code)
    return hmac.new(secret.encode(), f"phone:{normalized}".encode(), hashlib.sha256).hexdigest()


def start_verification(
    session: Session, phone: str, *, sender: CodeSender, settings: CivicSettings, secret: str, now: datetime
) -> Challenge:
    """Send a new code to `phone` and return the challenge (its `id` goes back with the code). Flushed,
    not committed; `CodeNotSent` if the sender fails, so the caller's rollback leaves no challenge."""
    normalized = normalize_phone(phone, settings.phone_country_code)
    code = f"{secrets.randbelow(10**settings.code_length):0{settings.code_length}d}"
    challenge_id = secrets.token_urlsafe(16)
    challenge = Challenge(
        id=challenge_id,
        phone_hash=phone_hash(phone, settings, secret),
        code_hash=_code_hash(challenge_id, code, secret),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.code_lifetime_s),
        attempts=0,
    )
    session.add(challenge)
    session.flush()
    try:
        sender.send(normalized, code, challenge.expires_at)
    except Exception as exc:
        raise CodeNotSent(f"the code could not be sent to the phone: {exc}; try again later") from exc
    return challenge


def confirm_verification(
    session: Session, challenge_id: str, code: str, *, settings: CivicSettings, secret: str, now: datetime
) -> Verified | WrongCode:
    """`Verified` (the person, created on first verification, and a new token) when `code` is the
    challenge's; `WrongCode` otherwise, with the attempt counted, so the caller must commit it (never
    roll back a wrong guess: that would make guesses free). Raises `ChallengeNotFound`, or
    `ChallengeClosed` for an expired, used or exhausted challenge."""
    challenge = session.get(Challenge, challenge_id, with_for_update=True)
    if challenge is None:
        raise ChallengeNotFound(f"no verification challenge {challenge_id!r}", field="path.challenge_id")
    closed = _closed_reason(challenge, settings, now)
    if closed:
        raise ChallengeClosed(f"this code {closed}: ask for a new one", field="path.challenge_id")
    if not hmac.compare_digest(
        challenge.code_hash, _code_hash(challenge_id, to_ascii_digits(code.strip()), secret)
    ):
        challenge.attempts = Challenge.attempts + 1  # in SQL: concurrent wrong guesses are all counted
        session.flush()
        return WrongCode(attempts_left=max(0, settings.code_attempts - challenge.attempts))
    challenge.confirmed_at = now
    person = session.scalars(select(Person).where(Person.phone_hash == challenge.phone_hash)).one_or_none()
    new = person is None
    if person is None:
        person = Person(
            id=secrets.token_hex(8), phone_hash=challenge.phone_hash, created_at=now, verified_at=now
        )
        session.add(person)
    person.verified_at = now
    session.flush()
    expires_at = now + timedelta(days=settings.person_token_days)
    return Verified(person.id, person_token(person.id, expires_at, secret), expires_at, new)


def person_token(person_id: str, expires_at: datetime, secret: str) -> str:
    expires = int(expires_at.timestamp())
    return f"{person_id}.{expires}.{_person_mac(person_id, expires, secret)}"


def person_from_token(session: Session, token: str, secret: str, now: datetime) -> Person:
    """The person a token was issued to, if it is this service's, unexpired, and the person exists."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        raise BadPersonToken("person token is malformed", field="header.authorization")
    person_id, expires, mac = parts[0], int(parts[1]), parts[2]
    if not hmac.compare_digest(mac.encode(), _person_mac(person_id, expires, secret).encode()):
        raise BadPersonToken("person token was not issued by this service", field="header.authorization")
    if expires <= now.timestamp():
        raise BadPersonToken(
            f"person token expired at {datetime.fromtimestamp(expires, UTC).isoformat()}: "
            "verify the phone again",
            field="header.authorization",
        )
    person = session.get(Person, person_id)
    if person is None:
        raise BadPersonToken(f"no person {person_id!r} on record", field="header.authorization")
    return person


def _closed_reason(challenge: Challenge, settings: CivicSettings, now: datetime) -> str:
    if challenge.confirmed_at is not None:
        return "was already used"
    if challenge.attempts >= settings.code_attempts:
        return f"had {challenge.attempts} wrong attempts"
    if now >= challenge.expires_at:
        return f"expired at {challenge.expires_at.isoformat()}"
    return ""


def _code_hash(challenge_id: str, code: str, secret: str) -> str:
    """Keyed, and bound to its challenge: a copied table does not give codes away by brute force."""
    return hmac.new(secret.encode(), f"code:{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _person_mac(person_id: str, expires: int, secret: str) -> str:
    """Domain-separated ("person:") from card tokens signed with the same secret."""
    digest = hmac.new(secret.encode(), f"person:{person_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
