"""A resident proposes, verifying their phone with the code the console sender received, supports the
proposal and sees the count; a second support from the same person is refused. The server's settings
make one support open the debate, so the comment form appears."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import LiveServer

TITLE = "خط ویژه دوچرخه در بلوار وکیل‌آباد"
BODY = "پیشنهاد می‌کنم در بلوار وکیل‌آباد یک خط ویژه و امن برای دوچرخه کشیده شود."


def test_propose_verify_support(page: Any, server: LiveServer) -> None:
    page.goto("/fa/proposals")
    page.get_by_role("link", name="پیشنهاد تازه").click()
    page.wait_for_url(re.compile(r"/fa/verify\?next="))  # acting needs a verified phone
    page.fill("input[name=phone]", "۰۹۱۲ ۱۲۳ ۴۵۶۷")
    page.get_by_role("button", name="فرستادن کد").click()
    page.wait_for_url(re.compile(r"/fa/verify/[\w-]+\?next="))
    sent = server.sender.sent[-1]
    assert sent.phone == "+989121234567"

    page.fill("input[name=code]", "000000" if sent.code != "000000" else "111111")
    page.get_by_role("button", name="تأیید").click()
    assert "کد درست نیست" in page.locator("p.error").inner_text()
    page.fill("input[name=code]", sent.code)
    page.get_by_role("button", name="تأیید").click()
    page.wait_for_url(f"{server.url}/fa/proposals/new")

    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=body]", BODY)
    page.select_option("select[name=category]", "transport")
    page.select_option("select[name=district]", "d01")
    page.get_by_role("button", name="ثبت پیشنهاد").click()
    page.wait_for_url(re.compile(r"/fa/proposals/\d+$"))
    assert page.locator("h1").inner_text() == TITLE
    assert page.locator("#support-count").inner_text() == "۰"

    page.get_by_role("button", name="پشتیبانی می‌کنم").click()
    page.wait_for_url(re.compile(r"\?done=supported$"))
    assert page.locator("#support-count").inner_text() == "۱"
    assert page.locator("#proposal-status").inner_text() == "در بحث عمومی"

    page.get_by_role("button", name="پشتیبانی می‌کنم").click()  # the same person again
    assert page.locator("h1").inner_text() == "درخواست انجام نشد"
    page.go_back()
    page.reload()
    assert page.locator("#support-count").inner_text() == "۱"

    page.fill("#comments textarea[name=body]", "موافقم؛ مسیر مدرسه‌ها هم هست.")
    page.get_by_role("button", name="ارسال نظر").click()
    assert "موافقم" in page.locator("#comments").inner_text()
    assert page.locator("#participant-count").inner_text() == "۱"
