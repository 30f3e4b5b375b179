"""Take the README's screenshot of the dashboard (docs/dashboard.png) from the real demo: `shahr demo
--serve` runs in a scratch folder, its feeder uploads last week's day and replays today's taps up to now
(`shahr.demo_live`), and headless Chromium (Debian's, /usr/bin/chromium) photographs /fa/dashboard on a
1920-pixel-wide screen once that is done. Then the demo is stopped as Ctrl-C stops it.

    .venv/bin/python scripts/screenshot_dashboard.py [--out docs/dashboard.png]

About two minutes: the demo (40 s), last week's day, the minute of replay. The picture shows the time of
day it was taken: taken at night, today's line is a whole day that no longer moves.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

import httpx2
from playwright.sync_api import sync_playwright

from shahr.demo_live import REPLAY_S, TICK_S

ROOT = Path(__file__).resolve().parent.parent
FEED = ROOT / "data" / "mashhad-demo.zip"
CHROMIUM = "/usr/bin/chromium"
DASHBOARD_LINE = re.compile(r"Dashboard, live with today's simulated taps: (http://\S+)")
WIDTH, HEIGHT = 1920, 1080


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    parser.add_argument("--timeout", type=float, default=600, help="Seconds to wait for the demo.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shahr-screenshot-") as folder:
        command = [sys.executable, "-c", "from shahr.cli import app; app()", "demo", "--serve", "--port", "0"]
        demo = subprocess.Popen(
            [*command, "--feed", str(FEED)],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert demo.stdout is not None
            url = _dashboard_url(demo.stdout, time.monotonic() + options.timeout)
            _wait_until_fed(url.removesuffix("/fa/dashboard"), time.monotonic() + options.timeout)
            _photograph(url, options.out)
        finally:
            demo.send_signal(signal.SIGTERM)  # as Ctrl-C: the demo stops its service
            demo.wait(timeout=60)
    print(f"wrote {options.out}")


def _dashboard_url(output: IO[str], deadline: float) -> str:
    """The dashboard's URL from the demo's output; the rest of the output is drained in the background."""
    for line in output:
        print(line, end="")
        found = DASHBOARD_LINE.search(line)
        if found:
            threading.Thread(target=_drain, args=(output,), daemon=True).start()
            return found.group(1)
        if time.monotonic() > deadline:
            break
    raise SystemExit("the demo ended or took too long without printing the dashboard's address")


def _drain(output: IO[str]) -> None:
    """Read what the demo still prints, so its pipe never fills and blocks it."""
    for _ in output:
        pass


def _wait_until_fed(base_url: str, deadline: float) -> None:
    """Until last week's day is in and today's taps up to now have been replayed."""
    while time.monotonic() < deadline:
        activity = httpx2.get(f"{base_url}/dashboard/snapshot", timeout=30).json()["activity"]
        if sum(activity["last_week"]["taps"]) > 0:
            time.sleep(REPLAY_S + 3 * TICK_S)
            return
        time.sleep(TICK_S)
    raise SystemExit("the feeder sent nothing in time; see live.log in the demo's folder")


def _photograph(url: str, out: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(
            viewport={"width": WIDTH, "height": HEIGHT}, locale="fa-IR", timezone_id="Asia/Tehran"
        )
        page.goto(url)
        page.wait_for_selector("#dash-live[data-state='live']")
        page.wait_for_selector("#per-minute[data-drawn='1']")
        page.wait_for_selector("#dash-map[data-drawn='1'] .leaflet-tooltip")
        time.sleep(2 * TICK_S)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
