"""The policy lab's report: one HTML file that opens offline (a planner mails it, a council member opens
it from a USB stick), so Chart.js, Leaflet, the chart script and the figures are all inlined and its
Content-Security-Policy forbids loading anything. Every figure is also in a table, readable without
JavaScript and greppable by tests; the charts are drawn by `web/static/lab_charts.js`, the script the
public consultation page shares.

The figures go in as `<script type="application/json">` with `<`, `>` and `&` written as JSON escapes,
so no text in them (a policy name) can close the script element; the HTML around them is autoescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from shahr.lab.figures import Figures
from shahr.web.pages.formatting import Formatter
from shahr.web.pages.i18n import DIRECTION, Lang

CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
"""Inline scripts and styles, data: images; nothing fetched, not even from the report's own folder."""

CURRENCIES = {"IRR": {"en": "rials", "fa": "ریال"}}

BREAKDOWNS = ("by_distance_band", "by_rider_category", "by_zone", "by_hour")
RISING_BREAKDOWNS = ("by_rider_category", "by_distance_band", "by_zone")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "created": "Computed",
        "feed": "Network",
        "reference": "Reference policy",
        "demand": "Demand",
        "demand.source": "Source",
        "demand.trips": "Trips",
        "demand.cards": "Cards (riders)",
        "demand.legs": "Legs ridden",
        "demand.legs_without_tap_off": "Legs without tap-off",
        "demand.service_dates": "Service days",
        "demand.km": "Distance ridden (km)",
        "policies": "Policies",
        "policy": "Policy",
        "policy.id": "Id",
        "revenue": "Revenue",
        "trips": "Trips",
        "journeys": "Journeys",
        "average_fare": "Average fare",
        "fare_per_km": "Fare per km",
        "response": "After the ridership response",
        "response.note": "Trips change with the fare by each rider category's elasticity (below).",
        "trips_change": "Change in trips",
        "car_trips_avoided": "Car trips avoided",
        "car_km_avoided": "Car km avoided",
        "co2_tonnes_saved": "CO₂ saved (tonnes)",
        "against": "against",
        "pays_more": "Pays more",
        "pays_same": "Pays the same",
        "pays_less": "Pays less",
        "largest_increase": "Largest rise of one trip's fare",
        "share": "share of trips",
        "group": "Group",
        "average_under": "Average fare, {name}",
        "change": "Change",
        "by_distance_band": "By distance band",
        "by_rider_category": "By rider category",
        "by_zone": "By zone",
        "by_hour": "By hour of day",
        "zone_map": "Change in average fare by zone",
        "riders_rising": "Riders whose fare rises by more than {threshold}",
        "riders_rising.count": "{riders} riders ({share} of riders)",
        "assumptions": "Assumptions",
        "elasticity": "Elasticity of trips to fare",
        "rider_category": "Rider category",
        "factor": "Factor",
        "value": "Value",
        "source": "Source",
        "factor.car_share": "Share of new trips that were by car",
        "factor.car_trip_km": "Average car trip (km)",
        "factor.co2_g_per_km": "Car CO₂ (g per km)",
        "charts": "Charts",
        "noscript": "The charts and the map need JavaScript; every figure is in the tables.",
    },
    "fa": {
        "created": "زمان محاسبه",
        "feed": "شبکه",
        "reference": "سیاست مبنا",
        "demand": "تقاضا",
        "demand.source": "منبع",
        "demand.trips": "سفرها",
        "demand.cards": "کارت‌ها (مسافران)",
        "demand.legs": "بخش‌های سفر",
        "demand.legs_without_tap_off": "بخش‌های بدون ثبت پیاده شدن",
        "demand.service_dates": "روزهای خدمت",
        "demand.km": "مسافت پیموده‌شده (کیلومتر)",
        "policies": "سیاست‌ها",
        "policy": "سیاست",
        "policy.id": "شناسه",
        "revenue": "درآمد",
        "trips": "سفرها",
        "journeys": "سفرها به شمارش سیاست",
        "average_fare": "میانگین کرایه",
        "fare_per_km": "کرایه به ازای هر کیلومتر",
        "response": "پس از واکنش مسافران",
        "response.note": "شمار سفرها با کشش کرایهٔ هر گروه مسافر (پایین‌تر) تغییر می‌کند.",
        "trips_change": "تغییر شمار سفرها",
        "car_trips_avoided": "سفرهای خودرویی کاسته‌شده",
        "car_km_avoided": "کیلومتر خودرویی کاسته‌شده",
        "co2_tonnes_saved": "کاهش CO₂ (تن)",
        "against": "در برابر",
        "pays_more": "بیشتر می‌پردازد",
        "pays_same": "برابر می‌پردازد",
        "pays_less": "کمتر می‌پردازد",
        "largest_increase": "بیشترین افزایش کرایهٔ یک سفر",
        "share": "سهم از سفرها",
        "group": "گروه",
        "average_under": "میانگین کرایه، {name}",
        "change": "تغییر",
        "by_distance_band": "بر پایهٔ مسافت",
        "by_rider_category": "بر پایهٔ گروه مسافر",
        "by_zone": "بر پایهٔ منطقه",
        "by_hour": "بر پایهٔ ساعت روز",
        "zone_map": "تغییر میانگین کرایه در هر منطقه",
        "riders_rising": "مسافرانی که کرایه‌شان بیش از {threshold} بالا می‌رود",
        "riders_rising.count": "{riders} مسافر ({share} از مسافران)",
        "assumptions": "فرض‌ها",
        "elasticity": "کشش شمار سفرها نسبت به کرایه",
        "rider_category": "گروه مسافر",
        "factor": "ضریب",
        "value": "مقدار",
        "source": "منبع",
        "factor.car_share": "سهم سفرهای تازه که با خودرو بودند",
        "factor.car_trip_km": "میانگین سفر خودرویی (کیلومتر)",
        "factor.co2_g_per_km": "CO₂ خودرو (گرم در کیلومتر)",
        "charts": "نمودارها",
        "noscript": "نمودارها و نقشه به جاوااسکریپت نیاز دارند؛ همهٔ ارقام در جدول‌ها آمده است.",
    },
}

_environment = Environment(
    loader=PackageLoader("shahr.lab", "templates"), autoescape=True, undefined=StrictUndefined
)


@dataclass(frozen=True)
class ReportFormat(Formatter):
    """The pages' numbers and dates, plus what a report adds: money in the figures' currency, signed
    changes."""

    currency_name: str = ""

    @classmethod
    def create(cls, lang: Lang, currency: str) -> ReportFormat:
        """Dates in UTC: the figures carry no time zone."""
        return cls(lang, "UTC", CURRENCIES.get(currency, {}).get(lang.value, currency))

    def money(self, value: float) -> str:
        return f"{self.number(value)} {self.currency_name}"

    def signed(self, value: float, decimals: int = 0, unit: str = "") -> str:
        """With its sign, kept before the digits in Persian text (a left-to-right isolate)."""
        text = ("+" if value > 0 else "") + self.number(value, decimals) + unit
        return f"\u2066{text}\u2069" if self.lang is Lang.FA else text

    def change(self, percent: float) -> str:
        """A change already in percent (the figures' `change_percent`), signed, to 0.1."""
        return self.signed(percent, 1, "\u066a" if self.lang is Lang.FA else "%")


def _static(*parts: str) -> str:
    return resources.files("shahr.web").joinpath("static", *parts).read_text(encoding="utf-8")


def figures_json(figures: Figures) -> str:
    """The figures as JSON safe inside a `<script>` element: no `<`, `>` or `&` left unescaped."""
    text = figures.model_dump_json()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_report(figures: Figures, lang: Literal["en", "fa"] = "en") -> str:
    """The whole report as one HTML document in `lang`, with everything it needs inlined."""
    language = Lang(lang)
    texts = TEXTS[lang]
    names = {policy.id: policy.name for policy in figures.policies}
    return _environment.get_template("report.html").render(
        f=figures,
        lang=lang,
        dir=DIRECTION[language],
        t=texts,
        fmt=ReportFormat.create(language, figures.currency),
        names=names,
        breakdowns=BREAKDOWNS,
        rising_breakdowns=RISING_BREAKDOWNS,
        csp=CSP,
        figures_json=Markup(figures_json(figures)),
        leaflet_css=Markup(_static("vendor", "leaflet", "leaflet.css")),
        scripts=[
            Markup(_static("vendor", "chart.js", "chart.umd.min.js")),
            Markup(_static("vendor", "leaflet", "leaflet.js")),
            Markup(_static("lab_charts.js")),
        ],
    )
