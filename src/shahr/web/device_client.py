"""Clients of a running service, for validators, tools, crash tests and benchmarks: a device that signs
and uploads batches of taps, staff that set up cards and devices, and `shahr serve` as a child process.

A batch whose answer never arrived (connection refused or dropped, timeout, 5xx, or 409
`concurrent_request`: rolled back after losing a race) is sent again as the very same bytes under the same
device id: the service stores each tap once per (device_id, seq), so a re-send books nothing twice and
answers `replayed: true` for what was stored the first time.

    ShahrError
     └── DeviceClientError      an upload that did not end in an answer the device can act on
          ├── BatchRefused      4xx: the service read the batch and said no; re-sending changes nothing
          └── BatchUndelivered  no answer after every attempt: keep the batch and send it again later

Uses httpx2 (the maintained continuation of httpx, same API, which starlette's TestClient requires).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple, Self

import httpx2

from shahr.backoffice.auth import create_staff_token, device_signature
from shahr.backoffice.auth_tables import StaffRole
from shahr.errors import ShahrError
from shahr.lab.figures import Figures
from shahr.web.schemas import BatchResultPublic, Pong, ServiceDayClosed

RETRIED = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
"""Failures after which the device cannot know whether the batch was stored: it must send it again."""


class DeviceClientError(ShahrError):
    """An upload that did not end in an answer the device can act on."""


class BatchRefused(DeviceClientError):
    """The service answered 4xx other than a lost race (bad signature, clock outside the replay window, a
    batch over 1,000 taps): the same request would be refused again."""

    def __init__(self, status_code: int, body: str) -> None:
        self.status_code = status_code
        self.body = body
        super().__init__(f"the service refused the request with {status_code}: {body}")


class BatchUndelivered(DeviceClientError):
    """Every attempt failed without an answer (or with a 5xx or a lost race): the batch may or may not be
    stored, so the device keeps it and sends it again later, which is safe."""


class _Client:
    """An HTTP client that closes its connections when done with (`with ... as client:`)."""

    _http: httpx2.Client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class DeviceClient(_Client):
    """A validator's side of `POST /devices/{device_id}/taps` and the signed ping. `attempts` sends at
    most, `backoff_s` doubling between them (capped at 5 s): the defaults ride out a restart of about
    10 s. `transport` lets a test put something between the device and the service."""

    def __init__(
        self,
        base_url: str,
        device_id: str,
        secret: str,
        *,
        attempts: int = 8,
        backoff_s: float = 0.1,
        timeout_s: float = 10.0,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        self.device_id = device_id
        self._secret = secret
        self._attempts = attempts
        self._backoff_s = backoff_s
        self.resent = 0
        """Requests sent again after no answer, a 5xx or a lost race, over this client's life."""
        self._http = httpx2.Client(base_url=base_url, timeout=timeout_s, transport=transport)

    def send_batch(self, taps: Sequence[Mapping[str, Any]]) -> BatchResultPublic:
        """Upload `taps` (each as `backoffice.taps.TapIn` expects; datetimes are sent as ISO 8601) and
        return the service's answer, one per tap: once it is returned the device may drop the taps."""
        body = json.dumps({"taps": list(taps)}, default=_iso, separators=(",", ":")).encode()
        response = self._post(f"/devices/{self.device_id}/taps", body)
        return BatchResultPublic.model_validate_json(response.content)

    def ping(self) -> Pong:
        """Check the secret and the clock: the answer carries the server's time."""
        return Pong.model_validate_json(self._post(f"/devices/{self.device_id}/ping", b"").content)

    def _post(self, path: str, body: bytes) -> httpx2.Response:
        """Send `body` until an answer comes back, signing each attempt afresh (a restart may outlast the
        replay window of the first signature); the bytes sent are the same every time."""
        failure = ""
        for attempt in range(self._attempts):
            if attempt:
                self.resent += 1
                time.sleep(min(self._backoff_s * 2 ** (attempt - 1), 5.0))
            try:
                response = self._http.post(path, content=body, headers=self._signed(body))
            except RETRIED as exc:
                failure = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code >= 500 or _raced(response):
                failure = f"{response.status_code}: {response.text}"
                continue
            if response.is_success:
                return response
            raise BatchRefused(response.status_code, response.text)
        raise BatchUndelivered(
            f"no answer from {self._http.base_url}{path} after {self._attempts} attempts; last: {failure}"
        )

    def _signed(self, body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        return {
            "Content-Type": "application/json",
            "X-Device-Id": self.device_id,
            "X-Timestamp": timestamp,
            "X-Signature": device_signature(self._secret, timestamp, body),
        }


def _iso(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} {value!r} in a tap")


def issue_staff_token(database_url: str, name: str, role: StaffRole) -> str:
    """A staff token made on the database, as `shahr staff token` does: the first admin's token cannot
    come from the API."""
    from shahr.db import make_engine, session_factory, upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            token = create_staff_token(session, name, role, datetime.now(UTC))
            session.commit()
    finally:
        engine.dispose()
    return token


class IssuedCard(NamedTuple):
    card_id: str
    card_token: str
    """What the holder shows the service (`Authorization: Card <token>`)."""


class StaffClient(_Client):
    """What a tool needs from staff over the API to put a service to work: cards with money on them and
    registered devices. A failure raises `httpx2.HTTPStatusError` with the service's error in its message:
    set-up has no business going on."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 30.0) -> None:
        self._http = httpx2.Client(
            base_url=base_url, timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}
        )

    def create_card(
        self, rider_category: str = "adult", *, top_up_minor: int = 0, birth_date: date | None = None
    ) -> IssuedCard:
        """Issue a card (a youth card needs `birth_date`) and load `top_up_minor` rials onto it."""
        body: dict[str, Any] = {"rider_category": rider_category}
        if birth_date is not None:
            body["birth_date"] = birth_date.isoformat()
        issued = self._post("/cards", body).json()
        card = IssuedCard(str(issued["card_id"]), str(issued["card_token"]))
        if top_up_minor:
            self._post(
                f"/cards/{card.card_id}/top-ups", {"amount": top_up_minor}, key=f"setup-{card.card_id}"
            )
        return card

    def publish_consultation(
        self, title: str, body: str, policy: str, reference: str, figures: Figures
    ) -> int:
        """Publish a policy-lab comparison as a fare consultation (an office or admin token); its id."""
        content = {
            "title": title,
            "body": body,
            "policy": policy,
            "reference": reference,
            "figures": figures.model_dump(mode="json"),
        }
        consultation_id: int = self._post("/consultations", content).json()["consultation_id"]
        return consultation_id

    def register_device(self, device_id: str, operator: str) -> str:
        """Register a device and return its secret (shown this once)."""
        secret: str = self._post("/devices", {"device_id": device_id, "operator": operator}).json()["secret"]
        return secret

    def balance(self, card_id: str) -> int:
        balance: int = _checked(self._http.get(f"/cards/{card_id}")).json()["balance_minor"]
        return balance

    def close_service_day(self, service_date: date) -> ServiceDayClosed:
        """Close an ended service day (a finance or admin token): open journeys are settled."""
        response = self._post(f"/service-days/{service_date.isoformat()}/close", None)
        return ServiceDayClosed.model_validate_json(response.content)

    def _post(self, path: str, body: dict[str, Any] | None, *, key: str | None = None) -> httpx2.Response:
        """POST, again (up to 3 times) while the service answers 409 `concurrent_request`: two commands
        raced (say the first top-ups opening `float:topups`), nothing was done, and it asks for a retry."""
        headers = {"Idempotency-Key": key} if key else {}
        for _ in range(3):
            response = self._http.post(path, json=body, headers=headers)
            if not _raced(response):
                break
        return _checked(response)


def _raced(response: httpx2.Response) -> bool:
    """409 `concurrent_request`: the request lost a race on a unique key (two uploads of one tap, two
    first uses of a system account) and was rolled back; the service asks for a retry, which replays."""
    if response.status_code != 409:
        return False
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(code == "concurrent_request")


def _checked(response: httpx2.Response) -> httpx2.Response:
    if response.is_error:
        raise httpx2.HTTPStatusError(
            f"{response.request.method} {response.request.url} answered {response.status_code}: "
            f"{response.text}",
            request=response.request,
            response=response,
        )
    return response


SHAHR = (sys.executable, "-c", "from shahr.cli import app; app()")
"""The `shahr` command as its console script runs it, with this interpreter (so this environment)."""


class ServiceProcess:
    """`shahr serve` as a child process on a free loopback port: a real server a crash test can SIGKILL
    and start again on the same database and port. Its output goes to `log`."""

    def __init__(
        self, database_url: str, log: Path, *, env: Mapping[str, str] | None = None, workers: int = 1
    ) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._command = [*SHAHR, "serve", f"--port={self.port}", f"--workers={workers}"]
        self._env = {**os.environ, **(env or {}), "SHAHR_DATABASE_URL": database_url}
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id (uvicorn's workers are its children), to watch its CPU or profile it."""
        if self._process is None:
            raise RuntimeError("the service is not running")
        return self._process.pid

    def start(self, timeout_s: float = 60.0) -> None:
        """Start the server and return once `/health` answers (migrations applied, feed loaded)."""
        self._log_file = self._log.open("ab")
        self._process = subprocess.Popen(
            self._command,
            env=self._env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"shahr serve exited with {self._process.returncode}; see {self._log}")
            try:
                if httpx2.get(f"{self.base_url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"shahr serve did not answer /health within {timeout_s} s; see {self._log}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, whatever was in flight is cut off (its process group, so
        uvicorn's worker processes go too)."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, sig)
            self._process.wait(timeout=30)
        if self._log_file is not None:
            self._log_file.close()
        self._process = self._log_file = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def free_port() -> int:
    """A loopback port free now (the OS picks it); a tiny race with other programs is accepted."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
