"""Residents' text: one normal form for search and duplicate detection, masking of personal data before
anything is published, and the cleaning every stored text gets.

Persian is typed on keyboards that emit Arabic letters (ي, ك) and on phones that emit Persian or
Arabic-Indic digits, so the same words arrive in several spellings; `normalize` folds them (with
persiantools) so that search and duplicate detection compare like with like. Text is otherwise stored as
the resident wrote it: HTML in it is text, escaped by whatever shows it and never rendered.
"""

from __future__ import annotations

import re
import unicodedata

from persiantools import characters, digits

ZWNJ = "\u200c"
"""The zero-width non-joiner: part of Persian spelling (می‌خواهم), but typed inconsistently."""

MASKS = {"email": "[email]", "phone": "[phone]", "national_id": "[national-id]"}
"""What replaces each kind of personal data in published text; a page may translate these tokens."""

_DIGIT = "[0-9\u06f0-\u06f9\u0660-\u0669]"
"""An ASCII, Persian or Arabic-Indic digit: masking works on the text as written."""
_SEP = r"[ \-.\u00a0]?"
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)


def _digit(ascii_digits: str) -> str:
    """A character class for these digits in any of the three scripts."""
    return "[" + "".join(d + chr(0x06F0 + int(d)) + chr(0x0660 + int(d)) for d in ascii_digits) + "]"


_ZERO, _NINE, _EIGHT = _digit("0"), _digit("9"), _digit("8")
_COUNTRY = rf"(?:\+|{_ZERO}{{2}}){_NINE}{_EIGHT}{_SEP}"
_MOBILE = re.compile(
    rf"(?<!{_DIGIT})(?:{_COUNTRY}|{_ZERO}){_NINE}{_DIGIT}{{2}}{_SEP}{_DIGIT}{{3}}{_SEP}{_DIGIT}{{2}}{_SEP}"
    rf"{_DIGIT}{{2}}(?!{_DIGIT})"
)
"""09xx xxx xx xx, +989..., 00989..., with optional single separators between the usual groups."""
_LANDLINE = re.compile(
    rf"(?<!{_DIGIT})(?:{_COUNTRY}\(?|\(?{_ZERO}){_digit('12345678')}{_DIGIT}\)?{_SEP}{_DIGIT}{{4}}{_SEP}"
    rf"{_DIGIT}{{4}}(?!{_DIGIT})"
)
"""A province code (0 then 11..87, e.g. 051 for Mashhad) and 8 digits: 051-3801 2345, +98 51 38012345."""
_TEN_DIGITS = re.compile(rf"(?<!{_DIGIT}){_DIGIT}{{3}}-?{_DIGIT}{{6}}-?{_DIGIT}(?!{_DIGIT})")
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def to_ascii_digits(text: str) -> str:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits as ASCII, so numbers compare and parse alike."""
    return digits.fa_to_en(digits.ar_to_fa(text))


def normalize(text: str) -> str:
    """The search and duplicate-detection form of `text`: Unicode NFKC, Arabic ي/ى/ك as Persian ی/ک,
    digits as ASCII, ZWNJ and Arabic diacritics (harakat, tatweel) removed, lower case, single spaces.

    ZWNJ is dropped rather than turned into a space so that "می‌خواهم", "میخواهم" and "می خواهم" do not
    become three different words in an index: the first two match exactly, the third differs by a space.
    """
    text = unicodedata.normalize("NFKC", text)
    text = characters.ar_to_fa(text)
    text = to_ascii_digits(text)
    text = text.replace(ZWNJ, "").replace("\u0640", "")
    text = "".join(ch for ch in text if not ("\u064b" <= ch <= "\u065f" or ch == "\u0670"))
    return " ".join(text.lower().split())


def clean_text(text: str) -> str:
    """Text as it is stored: control characters removed, line breaks as `\\n`, outer space trimmed.
    Markup is kept as the characters typed; showing it is the job of an escaping renderer."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def contains_html(text: str) -> bool:
    """Whether `text` has something that looks like an HTML tag (for moderation, not for refusal)."""
    return _HTML_TAG.search(text) is not None


def is_national_id(candidate: str) -> bool:
    """An Iranian national ID (کد ملی): 10 digits whose last is the check digit of the first nine,
    weighted 10 down to 2, sum mod 11 = r; check = r if r < 2 else 11 - r. Ten equal digits are
    refused although they pass the arithmetic (they are placeholders, not people)."""
    number = to_ascii_digits(candidate).replace("-", "")
    if len(number) != 10 or not number.isdigit() or len(set(number)) == 1:
        return False
    remainder = sum(int(number[i]) * (10 - i) for i in range(9)) % 11
    check = remainder if remainder < 2 else 11 - remainder
    return int(number[9]) == check


def mask_personal_data(text: str) -> str:
    """`text` with e-mail addresses, Iranian mobile and landline numbers and valid national IDs replaced
    by `MASKS`, in that order (a phone number's digits are never taken for an ID). Ten-digit numbers
    that fail the national ID checksum (an amount, a card serial) are left alone."""
    text = _EMAIL.sub(MASKS["email"], text)
    text = _MOBILE.sub(MASKS["phone"], text)
    text = _LANDLINE.sub(MASKS["phone"], text)
    return _TEN_DIGITS.sub(
        lambda match: MASKS["national_id"] if is_national_id(match.group(0)) else match.group(0), text
    )
