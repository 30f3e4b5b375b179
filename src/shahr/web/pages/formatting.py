"""How a page writes dates and numbers: Persian pages in the Jalali calendar with Persian digits and
separators (۱۴۰۵/۰۹/۰۴ ۱۷:۵۰, ۱۲٬۳۴۵), English pages in the Gregorian calendar with ASCII digits; both
in the city's local time, since the views carry UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import jdatetime  # type: ignore[import-untyped]
from persiantools import digits

from shahr.civic.text import MASKS
from shahr.web.pages.i18n import TEXTS, Lang


@dataclass(frozen=True)
class Formatter:
    lang: Lang
    timezone: str

    def digits(self, text: str) -> str:
        """ASCII digits as the page's script writes them."""
        return digits.en_to_fa(text) if self.lang is Lang.FA else text

    def number(self, value: float, decimals: int = 0) -> str:
        text = f"{value:,.{decimals}f}"
        if self.lang is Lang.FA:
            text = text.replace(",", "\u066c").replace(".", "\u066b")
        return self.digits(text)

    def percent(self, share: float | None) -> str:
        if share is None:
            return TEXTS[self.lang]["acc.none"]
        return self.number(share * 100, 1) + ("\u066a" if self.lang is Lang.FA else "%")

    def hours(self, value: float | None) -> str:
        return TEXTS[self.lang]["acc.none"] if value is None else self.number(value, 1)

    def day(self, value: date) -> str:
        if self.lang is Lang.FA:
            return self.digits(jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d"))
        return value.isoformat()

    def when(self, value: datetime | None) -> str:
        """The instant on the city's wall clock, to the minute."""
        if value is None:
            return ""
        local = value.astimezone(ZoneInfo(self.timezone))
        if self.lang is Lang.FA:
            jalali = jdatetime.datetime.fromgregorian(datetime=local)
            return self.digits(jalali.strftime("%Y/%m/%d %H:%M"))
        return local.strftime("%Y-%m-%d %H:%M")

    def iso(self, value: datetime | None) -> str:
        """For `<time datetime=...>`: machine-readable, with the local offset."""
        return "" if value is None else value.astimezone(ZoneInfo(self.timezone)).isoformat()

    def masked(self, text: str | None) -> str:
        """Public text with the masks of personal data (`[phone]`) in the page's language."""
        if text is None:
            return ""
        for token in MASKS.values():
            text = text.replace(token, TEXTS[self.lang][f"mask.{token[1:-1]}"])
        return text
