"""The pages' fixed text, one table per language, and the URL convertor that puts the language first in
every page's path (`/fa/...`, `/en/...`).

A plain dict rather than gettext or Babel: two languages, a few hundred short strings, no plural rules
the pages need (counts are shown as numbers beside a noun), and a missing key is a KeyError that the page
tests catch at once rather than an English string silently shown on a Persian page. Adding a language is
adding a table with the same keys (`tests/browser/test_pages.py` checks that the tables agree).
"""

from __future__ import annotations

from enum import StrEnum

from starlette.convertors import Convertor, register_url_convertor


class Lang(StrEnum):
    FA = "fa"
    EN = "en"


DIRECTION = {Lang.FA: "rtl", Lang.EN: "ltr"}


class LangConvertor(Convertor[str]):
    """`{lang:lang}` in a path matches only a language code, so page routes never shadow the API's."""

    regex = "fa|en"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


register_url_convertor("lang", LangConvertor())

FA: dict[str, str] = {
    "site.name": "شهر: مشارکت شهروندان",
    "site.city": "شهرداری مشهد",
    "nav.home": "خانه",
    "nav.report": "گزارش مشکل",
    "nav.reports": "گزارش‌ها و نقشه",
    "nav.accountability": "پاسخگویی",
    "nav.proposals": "پیشنهادها",
    "nav.consultations": "نظرخواهی کرایه",
    "nav.staff": "کارکنان",
    "nav.switch": "English",
    "home.title": "با شهر در حل مشکلات محله همراه شوید",
    "home.intro": "هر گزارش و پیشنهادی در برابر همه پاسخ می‌گیرد، با مهلتی که از پیش اعلام شده است.",
    "home.report": "مشکلی در شهر دیده‌اید؟ جای آن را روی نقشه نشان دهید و گزارش کنید.",
    "home.reports": "گزارش‌های دیگران و پاسخ شهرداری را روی نقشه و در فهرست ببینید.",
    "home.accountability": "ببینید هر منطقه و هر بخش چه سهمی از گزارش‌ها را به‌موقع پاسخ داده است.",
    "home.proposals": (
        "برای شهر پیشنهاد بدهید یا از پیشنهاد دیگران پشتیبانی کنید؛ با پشتیبانی کافی، شهرداری باید پاسخ "
        "رسمی بدهد."
    ),
    "report.new.title": "گزارش مشکل",
    "report.category": "موضوع",
    "report.choose": "انتخاب کنید",
    "report.description": "شرح مشکل",
    "report.location": "محل مشکل",
    "report.location.help": (
        "روی نقشه کلیک کنید تا محل مشکل نشانه‌گذاری شود، یا عرض و طول جغرافیایی را بنویسید."
    ),
    "report.lat": "عرض جغرافیایی",
    "report.lon": "طول جغرافیایی",
    "report.photo": "عکس (اختیاری)",
    "report.photo.help": "JPEG، PNG، WebP یا GIF. مکان و مشخصات دوربین پیش از ذخیره از عکس پاک می‌شود.",
    "report.extra": "پرسش‌های بیشتر",
    "report.contact": "راه تماس (اختیاری، هرگز منتشر نمی‌شود)",
    "report.name": "نام",
    "report.email": "ایمیل",
    "report.phone": "تلفن",
    "report.submit": "ثبت گزارش",
    "report.filed.title": "گزارش شما ثبت شد",
    "report.filed.keep": (
        "این پیوند خصوصی را نگه دارید: با آن می‌توانید گزارش را پیگیری کنید و اگر بسته شد، دوباره بازش "
        "کنید. این پیوند تنها همین یک بار نشان داده می‌شود."
    ),
    "report.follow.title": "پیگیری گزارش شما",
    "report.title": "گزارش",
    "report.status": "وضعیت",
    "report.district": "منطقه",
    "report.department": "مسئول رسیدگی",
    "report.filed_at": "زمان ثبت",
    "report.due_at": "مهلت پاسخ",
    "report.closed_at": "زمان بسته شدن",
    "report.overdue": "از مهلت گذشته",
    "report.history": "تاریخچه",
    "report.duplicate_of": "تکراری؛ گزارش اصلی:",
    "report.photos": "عکس‌ها",
    "report.reopen": "بازگشایی گزارش",
    "report.reopen.note": "چرا مشکل هنوز برطرف نشده است؟",
    "report.none": "گزارشی پیدا نشد.",
    "reports.title": "گزارش‌ها",
    "reports.filter": "نمایش",
    "reports.all": "همه",
    "map.districts": "مناطق",
    "map.stops": "ایستگاه‌ها",
    "map.routes": "خطوط",
    "map.reports": "گزارش‌ها",
    "map.open": "باز کردن",
    "status.filed": "ثبت‌شده",
    "status.acknowledged": "دریافت‌شده",
    "status.in_progress": "در دست اقدام",
    "status.resolved": "برطرف‌شده",
    "status.rejected": "ردشده",
    "event.filed": "ثبت شد",
    "event.status": "تغییر وضعیت",
    "event.note": "یادداشت",
    "event.internal_note": "یادداشت داخلی",
    "event.assign": "ارجاع به",
    "event.merge": "ادغام",
    "event.reopen": "بازگشایی",
    "acc.title": "پاسخگویی شهرداری",
    "acc.intro": (
        "گزارش‌های ثبت‌شده از {since} تا {until}. سهم به‌موقع: گزارش‌هایی که پیش از مهلت پاسخ گرفتند، از "
        "میان همه گزارش‌هایی که پاسخ گرفتند یا مهلتشان گذشت."
    ),
    "acc.overall": "همه گزارش‌ها",
    "acc.by_category": "به تفکیک موضوع",
    "acc.by_district": "به تفکیک منطقه",
    "acc.name": "نام",
    "acc.filed": "ثبت‌شده",
    "acc.closed": "پاسخ‌گرفته",
    "acc.on_time": "سهم به‌موقع",
    "acc.median": "میانه زمان رسیدگی (ساعت)",
    "acc.open": "مانده",
    "acc.overdue": "از مهلت گذشته",
    "acc.none": "—",
    "prop.title": "پیشنهادهای شهروندان",
    "prop.intro": (
        "با {debate} پشتیبانی، پیشنهاد به بحث عمومی گذاشته می‌شود؛ با {answer} مشارکت‌کننده، شهرداری "
        "باید ظرف {days} روز پاسخ رسمی بدهد."
    ),
    "prop.new": "پیشنهاد تازه",
    "prop.overdue": "پاسخ‌های دیرکرده",
    "prop.none": "پیشنهادی نیست.",
    "prop.field.title": "عنوان",
    "prop.field.body": "متن پیشنهاد",
    "prop.field.category": "حوزه",
    "prop.field.district": "منطقه (اختیاری)",
    "prop.whole_city": "همه شهر",
    "prop.submit": "ثبت پیشنهاد",
    "prop.pending": "پیشنهاد شما ثبت شد و پس از بررسی منتشر می‌شود.",
    "prop.supports": "پشتیبانی",
    "prop.participants": "مشارکت‌کننده",
    "prop.of": "از",
    "prop.debate_at": "برای بحث عمومی",
    "prop.answer_at": "برای پاسخ رسمی",
    "prop.support": "پشتیبانی می‌کنم",
    "prop.supported": "پشتیبانی شما ثبت شد.",
    "prop.verify_first": "برای پشتیبانی یا ثبت پیشنهاد، ابتدا شماره تلفن خود را تأیید کنید.",
    "prop.expires_at": "مهلت رسیدن به حد نصاب",
    "prop.answer_due": "مهلت پاسخ",
    "prop.answer": "پاسخ رسمی",
    "prop.answered_late": "با تأخیر پاسخ داده شد",
    "prop.overdue_flag": "پاسخ از مهلت گذشته است",
    "prop.comments": "گفت‌وگو",
    "prop.comment": "نظر شما",
    "prop.comment.submit": "ارسال نظر",
    "prop.comment.pending": "نظر شما پس از بررسی منتشر می‌شود.",
    "prop.no_comments": "هنوز نظری نیست.",
    "prop.created_at": "تاریخ ثبت",
    "pstatus.open": "در حال جمع‌آوری پشتیبانی",
    "pstatus.debate": "در بحث عمومی",
    "pstatus.awaiting_answer": "در انتظار پاسخ رسمی",
    "pstatus.answered": "پاسخ داده شده",
    "pstatus.expired": "منقضی",
    "pcat.transport": "حمل‌ونقل",
    "pcat.urban_planning": "شهرسازی",
    "pcat.environment": "محیط زیست",
    "pcat.culture": "فرهنگ",
    "pcat.welfare": "رفاه اجتماعی",
    "pcat.safety": "ایمنی",
    "pcat.other": "سایر",
    "cons.title": "نظرخواهی دربارهٔ کرایه",
    "cons.intro": (
        "شهرداری پیش از تغییر کرایه، پیشنهاد خود را با ارقام مقایسه در برابر همه می‌گذارد. هر دارندهٔ کارت "
        "می‌تواند ببیند با سفرهای خودش چه می‌پرداخت، و از پیشنهاد پشتیبانی کند یا دربارهٔ آن نظر بدهد."
    ),
    "cons.none": "نظرخواهی‌ای منتشر نشده است.",
    "cons.in_place_of": "«{proposed}» به جای «{reference}»",
    "cons.published": "انتشار",
    "cons.lead": (
        "مقایسهٔ سیاست کرایهٔ پیشنهادی با سیاست کنونی، بر پایهٔ سفرهای ثبت‌شده. پایین صفحه می‌توانید "
        "سفرهای ۳۰ روز گذشتهٔ کارت خود را با هر دو سیاست ببینید."
    ),
    "cons.reference": "سیاست کنونی",
    "cons.proposed": "پیشنهاد",
    "cons.headline": "ارقام اصلی",
    "cons.demand": "بر پایهٔ {trips} سفر با {cards} کارت در {days} روز.",
    "cons.change": "تغییر",
    "cons.revenue": "درآمد",
    "cons.trips": "سفرها",
    "cons.average_fare": "میانگین کرایه",
    "cons.fare_per_km": "کرایه هر کیلومتر",
    "cons.pays_more": "سفرهایی که گران‌تر می‌شوند",
    "cons.pays_same": "سفرهایی که همان کرایه را دارند",
    "cons.pays_less": "سفرهایی که ارزان‌تر می‌شوند",
    "cons.trips_unit": "سفر",
    "cons.rising": "مسافرانی که کرایه‌شان بیش از {threshold} درصد بالا می‌رود",
    "cons.riders_unit": "مسافر",
    "cons.largest_increase": "بیشترین افزایش کرایهٔ یک سفر",
    "cons.report": "گزارش کامل مقایسه",
    "cons.charts": "نمودارها و نقشه",
    "cons.zone_map": "نقشهٔ تغییر میانگین کرایه در هر ناحیه",
    "cons.say": "نظر شما",
    "cons.say.intro": (
        "این پیشنهاد مانند هر پیشنهاد شهروندی است: با پشتیبانی کافی به بحث عمومی می‌رود و شهرداری باید "
        "پاسخ رسمی بدهد."
    ),
    "cons.to_proposal": "پشتیبانی یا نظر دربارهٔ این پیشنهاد",
    "cons.mine": "کرایه‌های خود شما",
    "cons.mine.intro": (
        "کد کارت خود را بنویسید تا سفرهای ۳۰ روز گذشتهٔ کارتتان را، روز به روز، با سیاست کنونی و با "
        "پیشنهاد ببینید، همراه با شرح محاسبهٔ هر کرایه."
    ),
    "cons.token": "کد کارت",
    "cons.token.help": (
        "همان کدی که هنگام گرفتن کارت به شما داده شد. این کد در نشانی صفحه نمی‌آید و ذخیره نمی‌شود."
    ),
    "cons.show": "نمایش کرایه‌های من",
    "cons.token.missing": "کد کارت را بنویسید.",
    "cons.token.bad": "این کد کارت پذیرفته نشد. آن را همان‌گونه که روی رسید کارت آمده است بنویسید.",
    "cons.window": "سفرهای روزهای {first} تا {last}",
    "cons.total.reference": "با سیاست کنونی",
    "cons.total.proposed": "با پیشنهاد",
    "cons.total.difference": "تفاوت",
    "cons.total.charged": "آنچه از کارت شما کسر شد",
    "cons.km": "کیلومتر",
    "cons.why": "شرح محاسبه (به انگلیسی)",
    "cons.refused": "این ضربه‌ها با این سیاست پذیرفته نمی‌شد:",
    "cons.day_total": "جمع روز:",
    "cons.capped": "{cap}؛ کرایه‌ها {fares}",
    "cons.cap.daily cap": "سقف روزانه",
    "cons.cap.monthly cap": "سقف ماهانه",
    "cons.charged_day": "کسرشده از کارت برای این روز:",
    "cons.day_open": "روز هنوز بسته نشده است",
    "cons.mine.note": (
        "هر کرایه را موتور کرایهٔ شهر از ضربه‌های کارت شما حساب کرده است، با سقف‌های روزانه و ماهانهٔ هر "
        "سیاست. بلیت‌های دوره‌ای تنها در «آنچه از کارت شما کسر شد» به حساب آمده‌اند."
    ),
    "cons.no_journeys": "این کارت در ۳۰ روز گذشته سفری نداشته است.",
    "verify.title": "تأیید شماره تلفن",
    "verify.intro": (
        "یک کد به تلفن همراه شما فرستاده می‌شود. شماره شما ذخیره نمی‌شود؛ تنها برای اینکه هر نفر یک بار "
        "پشتیبانی کند."
    ),
    "verify.phone": "شماره تلفن همراه",
    "verify.send": "فرستادن کد",
    "verify.code": "کد دریافتی",
    "verify.confirm": "تأیید",
    "verify.wrong": "کد درست نیست. {left} بار دیگر می‌توانید امتحان کنید.",
    "staff.login.title": "ورود کارکنان",
    "staff.token": "توکن کارکنان",
    "staff.login": "ورود",
    "staff.logout": "خروج",
    "staff.signed_in": "وارد شده:",
    "staff.triage": "صف رسیدگی",
    "staff.triage.none": "گزارشی در صف نیست.",
    "staff.contact": "راه تماس گزارش‌دهنده",
    "staff.as_filed": "متن اصلی",
    "staff.change_status": "تغییر وضعیت",
    "staff.new_status": "وضعیت تازه",
    "staff.public_note": "یادداشت عمومی",
    "staff.note": "یادداشت",
    "staff.note.public": "عمومی",
    "staff.note.internal": "داخلی (هرگز منتشر نمی‌شود)",
    "staff.add_note": "افزودن یادداشت",
    "staff.assign": "ارجاع به بخش",
    "staff.department": "بخش",
    "staff.duplicates": "گزارش‌های احتمالاً تکراری",
    "staff.merge": "این گزارش تکراریِ آن است",
    "staff.metres": "متر",
    "staff.hours_apart": "ساعت فاصله",
    "staff.actor": "به دست",
    "staff.private": "داخلی",
    "staff.save": "ثبت",
    "error.title": "درخواست انجام نشد",
    "error.back": "بازگشت",
    "error.csrf": "فرم منقضی شده است؛ صفحه را دوباره باز کنید و دوباره بفرستید.",
    "error.login": "توکن کارکنان پذیرفته نشد.",
    "error.number": "یک عدد بنویسید.",
    "error.not_found": "این صفحه پیدا نشد.",
    "mask.email": "[ایمیل]",
    "mask.phone": "[تلفن]",
    "mask.national-id": "[کد ملی]",
}

EN: dict[str, str] = {
    "site.name": "shahr: citizen participation",
    "site.city": "Mashhad municipality",
    "nav.home": "Home",
    "nav.report": "Report a problem",
    "nav.reports": "Reports and map",
    "nav.accountability": "Accountability",
    "nav.proposals": "Proposals",
    "nav.consultations": "Fare consultations",
    "nav.staff": "Staff",
    "nav.switch": "فارسی",
    "home.title": "Work with the city on your neighbourhood's problems",
    "home.intro": "Every report and proposal is answered in public, against a deadline announced in advance.",
    "home.report": "Seen a problem in the city? Put a pin on the map and report it.",
    "home.reports": "See what others reported and how the city answered, on a map and in a list.",
    "home.accountability": "See how much of its reports each district and department answered on time.",
    "home.proposals": (
        "Propose something to the city or support others' proposals; with enough support the city must "
        "answer officially."
    ),
    "report.new.title": "Report a problem",
    "report.category": "Category",
    "report.choose": "Choose",
    "report.description": "What is wrong",
    "report.location": "Where",
    "report.location.help": (
        "Click on the map to drop a pin where the problem is, or type its latitude and longitude."
    ),
    "report.lat": "Latitude",
    "report.lon": "Longitude",
    "report.photo": "Photo (optional)",
    "report.photo.help": (
        "JPEG, PNG, WebP or GIF. The location and camera details are removed before it is stored."
    ),
    "report.extra": "More questions",
    "report.contact": "How to reach you (optional, never published)",
    "report.name": "Name",
    "report.email": "E-mail",
    "report.phone": "Phone",
    "report.submit": "File the report",
    "report.filed.title": "Your report is filed",
    "report.filed.keep": (
        "Keep this private link: it follows your report and reopens it if it is closed. It is shown this "
        "once."
    ),
    "report.follow.title": "Following your report",
    "report.title": "Report",
    "report.status": "Status",
    "report.district": "District",
    "report.department": "Handled by",
    "report.filed_at": "Filed",
    "report.due_at": "Answer due",
    "report.closed_at": "Closed",
    "report.overdue": "Overdue",
    "report.history": "History",
    "report.duplicate_of": "Duplicate; the original is",
    "report.photos": "Photos",
    "report.reopen": "Reopen the report",
    "report.reopen.note": "Why is the problem not fixed?",
    "report.none": "No reports found.",
    "reports.title": "Reports",
    "reports.filter": "Show",
    "reports.all": "All",
    "map.districts": "Districts",
    "map.stops": "Stops",
    "map.routes": "Routes",
    "map.reports": "Reports",
    "map.open": "Open",
    "status.filed": "Filed",
    "status.acknowledged": "Acknowledged",
    "status.in_progress": "In progress",
    "status.resolved": "Resolved",
    "status.rejected": "Rejected",
    "event.filed": "Filed",
    "event.status": "Status change",
    "event.note": "Note",
    "event.internal_note": "Internal note",
    "event.assign": "Assigned to",
    "event.merge": "Merge",
    "event.reopen": "Reopened",
    "acc.title": "The city's accountability",
    "acc.intro": (
        "Reports filed from {since} to {until}. On time: the reports answered by their deadline, out of "
        "all those answered or past their deadline."
    ),
    "acc.overall": "All reports",
    "acc.by_category": "By category",
    "acc.by_district": "By district",
    "acc.name": "Name",
    "acc.filed": "Filed",
    "acc.closed": "Answered",
    "acc.on_time": "On time",
    "acc.median": "Median handling (hours)",
    "acc.open": "Backlog",
    "acc.overdue": "Overdue",
    "acc.none": "—",
    "prop.title": "Residents' proposals",
    "prop.intro": (
        "With {debate} supports a proposal opens for public debate; with {answer} participants the city "
        "must answer officially within {days} days."
    ),
    "prop.new": "New proposal",
    "prop.overdue": "Overdue answers",
    "prop.none": "No proposals.",
    "prop.field.title": "Title",
    "prop.field.body": "Your proposal",
    "prop.field.category": "Area",
    "prop.field.district": "District (optional)",
    "prop.whole_city": "The whole city",
    "prop.submit": "Propose",
    "prop.pending": "Your proposal is in and will be published once it is reviewed.",
    "prop.supports": "supports",
    "prop.participants": "participants",
    "prop.of": "of",
    "prop.debate_at": "for a public debate",
    "prop.answer_at": "for an official answer",
    "prop.support": "I support this",
    "prop.supported": "Your support is counted.",
    "prop.verify_first": "To support or propose, verify your phone number first.",
    "prop.expires_at": "Must reach the threshold by",
    "prop.answer_due": "Answer due",
    "prop.answer": "Official answer",
    "prop.answered_late": "Answered late",
    "prop.overdue_flag": "The answer is overdue",
    "prop.comments": "Debate",
    "prop.comment": "Your comment",
    "prop.comment.submit": "Comment",
    "prop.comment.pending": "Your comment will be published once it is reviewed.",
    "prop.no_comments": "No comments yet.",
    "prop.created_at": "Proposed",
    "pstatus.open": "Gathering support",
    "pstatus.debate": "In public debate",
    "pstatus.awaiting_answer": "Awaiting the official answer",
    "pstatus.answered": "Answered",
    "pstatus.expired": "Expired",
    "pcat.transport": "Transport",
    "pcat.urban_planning": "Urban planning",
    "pcat.environment": "Environment",
    "pcat.culture": "Culture",
    "pcat.welfare": "Social welfare",
    "pcat.safety": "Safety",
    "pcat.other": "Other",
    "cons.title": "Fare consultations",
    "cons.intro": (
        "Before it changes the fare, the city puts its proposal and the figures to everyone. Any card holder "
        "can see what they would have paid for their own journeys, and support or comment on the proposal."
    ),
    "cons.none": "No consultation has been published.",
    "cons.in_place_of": "“{proposed}” in place of “{reference}”",
    "cons.published": "Published",
    "cons.lead": (
        "The proposed fare policy against today's, over recorded journeys. Further down, see your own card's "
        "journeys of the last 30 days under both."
    ),
    "cons.reference": "Today's policy",
    "cons.proposed": "Proposal",
    "cons.headline": "Headline figures",
    "cons.demand": "Over {trips} trips by {cards} cards on {days} day(s).",
    "cons.change": "Change",
    "cons.revenue": "Revenue",
    "cons.trips": "Trips",
    "cons.average_fare": "Average fare",
    "cons.fare_per_km": "Fare per km",
    "cons.pays_more": "Trips that cost more",
    "cons.pays_same": "Trips that cost the same",
    "cons.pays_less": "Trips that cost less",
    "cons.trips_unit": "trips",
    "cons.rising": "Riders whose fares rise by more than {threshold}%",
    "cons.riders_unit": "riders",
    "cons.largest_increase": "Largest rise of one trip's fare",
    "cons.report": "The full comparison report",
    "cons.charts": "Charts and map",
    "cons.zone_map": "Map of the change in average fare by zone",
    "cons.say": "Have your say",
    "cons.say.intro": (
        "This is a proposal like any resident's: with enough supports it goes to public debate, and the city "
        "must answer it officially."
    ),
    "cons.to_proposal": "Support or comment on this proposal",
    "cons.mine": "Your own fares",
    "cons.mine.intro": (
        "Enter your card token to see your card's journeys of the last 30 days, day by day, under today's "
        "policy and under the proposal, with how each fare is worked out."
    ),
    "cons.token": "Card token",
    "cons.token.help": (
        "The token you were given with your card. It is never put in the page's address or kept."
    ),
    "cons.show": "Show my fares",
    "cons.token.missing": "Enter your card token.",
    "cons.token.bad": "This card token was not accepted. Type it exactly as it is on your card's receipt.",
    "cons.window": "Journeys of {first} to {last}",
    "cons.total.reference": "Under today's policy",
    "cons.total.proposed": "Under the proposal",
    "cons.total.difference": "Difference",
    "cons.total.charged": "What your card was charged",
    "cons.km": "km",
    "cons.why": "How this fare is worked out",
    "cons.refused": "These taps would not be accepted under this policy:",
    "cons.day_total": "Day total:",
    "cons.capped": "{cap}; fares {fares}",
    "cons.cap.daily cap": "daily cap",
    "cons.cap.monthly cap": "monthly cap",
    "cons.charged_day": "Charged to your card for the day:",
    "cons.day_open": "the day is not closed yet",
    "cons.mine.note": (
        "Every fare is the city's fare engine's, from your card's taps, within each policy's daily and "
        "monthly caps. Passes count only in what your card was charged."
    ),
    "cons.no_journeys": "This card has no journeys in the last 30 days.",
    "verify.title": "Verify your phone",
    "verify.intro": (
        "A code is sent to your mobile phone. Your number is not stored; it only makes sure each person "
        "supports once."
    ),
    "verify.phone": "Mobile number",
    "verify.send": "Send the code",
    "verify.code": "The code you received",
    "verify.confirm": "Verify",
    "verify.wrong": "That code is wrong. You can try {left} more times.",
    "staff.login.title": "Staff sign-in",
    "staff.token": "Staff token",
    "staff.login": "Sign in",
    "staff.logout": "Sign out",
    "staff.signed_in": "Signed in:",
    "staff.triage": "Triage queue",
    "staff.triage.none": "Nothing waiting.",
    "staff.contact": "Reporter's contact",
    "staff.as_filed": "Text as filed",
    "staff.change_status": "Change status",
    "staff.new_status": "New status",
    "staff.public_note": "Public note",
    "staff.note": "Note",
    "staff.note.public": "Public",
    "staff.note.internal": "Internal (never published)",
    "staff.add_note": "Add a note",
    "staff.assign": "Assign to a department",
    "staff.department": "Department",
    "staff.duplicates": "Possible duplicates",
    "staff.merge": "This report duplicates that one",
    "staff.metres": "m",
    "staff.hours_apart": "hours apart",
    "staff.actor": "by",
    "staff.private": "internal",
    "staff.save": "Save",
    "error.title": "That did not work",
    "error.back": "Back",
    "error.csrf": "The form has expired; open the page again and resend it.",
    "error.login": "That staff token was not accepted.",
    "error.number": "Write a number.",
    "error.not_found": "This page does not exist.",
    "mask.email": "[email]",
    "mask.phone": "[phone]",
    "mask.national-id": "[national-id]",
}

TEXTS: dict[Lang, dict[str, str]] = {Lang.FA: FA, Lang.EN: EN}


def other(lang: Lang) -> Lang:
    """The language the switch link leads to."""
    return Lang.EN if lang is Lang.FA else Lang.FA
