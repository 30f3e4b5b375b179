"""Phone verification on SQLite and PostgreSQL: numbers in any script, codes hashed with expiry and
attempt limits, one person per phone, person tokens, and no phone number kept anywhere."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shahr.civic import verification as v
from shahr.civic.settings import CivicSettings

SECRET = "test-secret"
SETTINGS = CivicSettings(code_length=6, code_lifetime_s=300, code_attempts=3, person_token_days=180)
NOW = datetime(2025, 10, 5, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "۰۹۱۲ ۱۲۳ ۴۵ ۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+98 912-123-4567",
        "00989121234567",
        "(0912) 123 4567",
    ],
)
def test_phone_numbers_in_any_script_normalise_alike(raw: str) -> None:
    assert v.normalize_phone(raw, "98") == "+989121234567"


@pytest.mark.parametrize("raw", ["", "9121234567", "0912", "+98abc", "+0123456789", "+1234567890123456"])
def test_not_a_phone_number(raw: str) -> None:
    with pytest.raises(v.InvalidPhone) as refused:
        v.normalize_phone(raw, "98")
    assert refused.value.field == "body.phone"


def _start(session: Session, sender: v.ConsoleSender, phone: str = "09121234567") -> v.Challenge:
    return v.start_verification(session, phone, sender=sender, settings=SETTINGS, secret=SECRET, now=NOW)


def _confirm(session: Session, challenge_id: str, code: str, at: datetime = NOW) -> v.Verified | v.WrongCode:
    return v.confirm_verification(session, challenge_id, code, settings=SETTINGS, secret=SECRET, now=at)


def test_verify_a_phone_and_use_the_token(session: Session) -> None:
    out = io.StringIO()
    sender = v.ConsoleSender(out)
    challenge = _start(session, sender)
    session.commit()
    sent = sender.sent[-1]
    assert (sent.phone, len(sent.code), sent.expires_at) == ("+989121234567", 6, NOW + timedelta(seconds=300))
    assert (
        out.getvalue()
        == f"verification code for +989121234567: {sent.code} (until 2025-10-05T08:05:00+00:00)\n"
    )
    assert challenge.code_hash != sent.code and len(challenge.code_hash) == 64
    verified = _confirm(session, challenge.id, sent.code)
    session.commit()
    assert isinstance(verified, v.Verified)
    assert verified.new
    assert verified.expires_at == NOW + timedelta(days=180)
    assert verified.token.startswith(f"{verified.person_id}.{int(verified.expires_at.timestamp())}.")
    person = v.person_from_token(session, verified.token, SECRET, NOW + timedelta(days=179))
    assert person.id == verified.person_id
    assert person.phone_hash == v.phone_hash("+98 912 123 4567", SETTINGS, SECRET)


def test_the_same_phone_is_the_same_person(session: Session) -> None:
    sender = v.ConsoleSender(io.StringIO())
    first = _confirm(session, _start(session, sender).id, sender.sent[-1].code)
    again = _confirm(session, _start(session, sender, "۰۹۱۲۱۲۳۴۵۶۷").id, sender.sent[-1].code)
    other = _confirm(session, _start(session, sender, "09351234567").id, sender.sent[-1].code)
    assert isinstance(first, v.Verified) and isinstance(again, v.Verified) and isinstance(other, v.Verified)
    assert (again.person_id, again.new) == (first.person_id, False)
    assert other.person_id != first.person_id
    assert session.scalars(select(v.Person)).all().__len__() == 2


def test_codes_typed_with_persian_digits_are_accepted(session: Session) -> None:
    sender = v.ConsoleSender(io.StringIO())
    challenge = _start(session, sender)
    persian = sender.sent[-1].code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert isinstance(_confirm(session, challenge.id, f" {persian} "), v.Verified)


def test_wrong_codes_are_counted_and_committed_until_the_challenge_closes(session: Session) -> None:
    sender = v.ConsoleSender(io.StringIO())
    challenge = _start(session, sender)
    session.commit()
    wrong = "000000" if sender.sent[-1].code != "000000" else "111111"
    assert _confirm(session, challenge.id, wrong) == v.WrongCode(attempts_left=2)
    session.commit()
    assert _confirm(session, challenge.id, wrong) == v.WrongCode(attempts_left=1)
    session.commit()
    assert _confirm(session, challenge.id, wrong) == v.WrongCode(attempts_left=0)
    session.commit()
    with pytest.raises(v.ChallengeClosed, match="had 3 wrong attempts"):
        _confirm(session, challenge.id, sender.sent[-1].code)  # even the right code, now
    session.rollback()
    assert session.get(v.Challenge, challenge.id).attempts == 3  # type: ignore[union-attr]


def test_an_expired_or_used_challenge_is_closed(session: Session) -> None:
    sender = v.ConsoleSender(io.StringIO())
    challenge = _start(session, sender)
    code = sender.sent[-1].code
    with pytest.raises(v.ChallengeClosed, match="expired at 2025-10-05T08:05:00"):
        _confirm(session, challenge.id, code, at=NOW + timedelta(seconds=300))
    assert isinstance(_confirm(session, challenge.id, code, at=NOW + timedelta(seconds=299)), v.Verified)
    with pytest.raises(v.ChallengeClosed, match="was already used"):
        _confirm(session, challenge.id, code)
    with pytest.raises(v.ChallengeNotFound):
        _confirm(session, "no-such-challenge", code)


def test_a_failing_sender_stores_nothing(session: Session) -> None:
    class Down:
        def send(self, phone: str, code: str, expires_at: datetime) -> None:
            raise ConnectionError("gateway timeout")

    with pytest.raises(v.CodeNotSent, match="gateway timeout"):
        v.start_verification(session, "09121234567", sender=Down(), settings=SETTINGS, secret=SECRET, now=NOW)
    session.rollback()
    assert session.scalars(select(v.Challenge)).all() == []


def test_bad_person_tokens(session: Session) -> None:
    sender = v.ConsoleSender(io.StringIO())
    verified = _confirm(session, _start(session, sender).id, sender.sent[-1].code)
    assert isinstance(verified, v.Verified)
    person_id, expires, mac = verified.token.split(".")
    forged_expiry = f"{person_id}.{int(expires) + 86400}.{mac}"
    stranger = v.person_token("0123456789abcdef", NOW + timedelta(days=1), SECRET)
    cases = {
        "malformed": "not-a-token",
        "not issued by this service": forged_expiry,
        "expired at 2026-04-03T08:00:00+00:00": verified.token,
        "no person '0123456789abcdef'": stranger,
    }
    for message, token in cases.items():
        at = NOW + timedelta(days=180) if message.startswith("expired") else NOW
        with pytest.raises(v.BadPersonToken, match=re.escape(message)):
            v.person_from_token(session, token, SECRET, at)
    with pytest.raises(v.BadPersonToken, match="not issued by this service"):
        v.person_from_token(session, verified.token, "another-secret", NOW)


def test_no_phone_number_is_stored(session: Session) -> None:
    sender = v.ConsoleSender(io.StringIO())
    _confirm(session, _start(session, sender).id, sender.sent[-1].code)
    session.commit()
    stored = [
        str(value)
        for model in (v.Person, v.Challenge)
        for row in session.execute(select(model.__table__)).all()
        for value in row
    ]
    assert stored
    assert not any("9121234567" in value or "123 4567" in value for value in stored)


def test_load_sender() -> None:
    path = "shahr.civic.verification:ConsoleSender"
    assert isinstance(v.load_sender(path, "development"), v.ConsoleSender)
    with pytest.raises(ValueError, match="must name a real sender in production"):
        v.load_sender(path, "production")
