"""Who is using a page, and proof that a form was sent from one of ours.

Browsers cannot send the API's `Authorization` headers from a plain form, so the pages keep credentials
in cookies: staff sign in with their staff token, which is kept in a cookie signed with the secret key
(with its expiry inside the signature) and checked against the staff tokens on every request by the back
office's own role check; a verified person's token (already signed by `civic.verification`) is kept as
it is. Both cookies are Secure and HttpOnly; staff's is SameSite=Strict, the person's Lax (a resident
following a link to a proposal arrives signed in).

Every form that acts with such a cookie carries a CSRF token: the HMAC of the cookie's value under the
secret key (a signed double-submit token). Another site can make a browser send the cookie, but cannot
read it, so it cannot write the matching token into its form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Literal

from fastapi import Request, Response

from shahr.errors import ShahrError

STAFF_COOKIE = "shahr_staff"
PERSON_COOKIE = "shahr_person"


class LoginRequired(ShahrError):
    """A staff page without a valid staff cookie: the page sends the browser to the sign-in form."""


class BadCsrfToken(ShahrError):
    """A form posted without the token of the cookie it acts with: sent from another site, or stale."""


def _mac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def staff_cookie_value(token: str, expires_at: datetime, secret: str) -> str:
    """`<token>.<expires>.<mac>`; staff tokens are URL-safe base64, so they hold no dot."""
    expires = int(expires_at.timestamp())
    return f"{token}.{expires}.{_mac(secret, f'staff-cookie:{token}:{expires}')}"


def staff_token_from_cookie(value: str | None, secret: str, now: datetime) -> str:
    """The staff token in a cookie we signed and that has not expired, or `LoginRequired`."""
    token, _, rest = (value or "").partition(".")
    expires, _, mac = rest.partition(".")
    if not (token and expires.isdigit() and mac):
        raise LoginRequired("sign in with a staff token")
    expected = _mac(secret, f"staff-cookie:{token}:{expires}")
    if not hmac.compare_digest(mac.encode(), expected.encode()) or int(expires) <= now.timestamp():
        raise LoginRequired("the staff session expired or was not issued here: sign in again")
    return token


def set_cookie(
    response: Response, name: str, value: str, *, max_age: timedelta, same_site: Literal["lax", "strict"]
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(max_age.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite=same_site,
    )


def csrf_token(cookie_value: str, secret: str) -> str:
    return _mac(secret, f"csrf:{cookie_value}")


def check_csrf(request: Request, cookie: str, sent: str, secret: str) -> None:
    """`BadCsrfToken` unless `sent` is the token of the request's `cookie`."""
    value = request.cookies.get(cookie)
    if not value or not hmac.compare_digest(sent.encode(), csrf_token(value, secret).encode()):
        raise BadCsrfToken("the form's token does not match this browser's session")


def safe_next(value: str | None, fallback: str) -> str:
    """Where to go after signing in or verifying: one of this site's pages (`/fa/...`, `/en/...`), never
    another site's (an open redirect would lend our address to phishing)."""
    if value and value.startswith(("/fa/", "/en/")) and "\\" not in value:
        return value
    return fallback
