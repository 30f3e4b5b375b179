"""Persian normalisation for search and duplicates, and masking of personal data before publication."""

from __future__ import annotations

import pytest

from shahr.civic.text import (
    MASKS,
    clean_text,
    contains_html,
    is_national_id,
    mask_personal_data,
    normalize,
    to_ascii_digits,
)


def test_arabic_letters_become_persian() -> None:
    assert normalize("علي كريمي") == normalize("علی کریمی") == "علی کریمی"
    assert normalize("مصطفى") == "مصطفی"


def test_persian_and_arabic_indic_digits_become_ascii() -> None:
    assert to_ascii_digits("۱۲۳ و ١٢٣") == "123 و 123"
    assert normalize("خط ۱۰") == normalize("خط ١٠") == normalize("خط 10") == "خط 10"


def test_zwnj_tatweel_and_diacritics_are_dropped_and_space_collapsed() -> None:
    assert normalize("می\u200cخواهم") == normalize("میخواهم") == "میخواهم"
    assert normalize("كـــتاب") == "کتاب"
    assert normalize("  مَشهَد   LINE\n2 ") == "مشهد line 2"


@pytest.mark.parametrize(
    "text",
    [
        "09123456789",
        "۰۹۱۲۳۴۵۶۷۸۹",
        "0912 345 6789",
        "0912-345-67-89",
        "+989123456789",
        "+98 912 345 6789",
        "00989123456789",
        "051-3801 2345",
        "(051) 38012345",
        "+98 51 3801 2345",
        "۰۵۱۳۸۰۱۲۳۴۵",
    ],
)
def test_phone_numbers_are_masked(text: str) -> None:
    assert mask_personal_data(f"تماس: {text} لطفا") == f"تماس: {MASKS['phone']} لطفا"


def test_national_id_checksum() -> None:
    # 0013542419: 0*10+0*9+1*8+3*7+5*6+4*5+2*4+4*3+1*2 = 101; 101 mod 11 = 2; check 11-2 = 9: valid.
    assert is_national_id("0013542419")
    assert is_national_id("۰۰۱۳۵۴۲۴۱۹")
    assert is_national_id("001-354241-9")
    assert not is_national_id("0013542418")
    assert not is_national_id("1111111111")  # passes the arithmetic, but a placeholder
    assert not is_national_id("12345")


def test_valid_national_ids_masked_other_numbers_kept() -> None:
    text = "کد ملی 0013542419، مبلغ 1234567890 ریال، سریال 09123456789012"
    assert (
        mask_personal_data(text)
        == f"کد ملی {MASKS['national_id']}، مبلغ 1234567890 ریال، سریال 09123456789012"
    )


def test_email_masked() -> None:
    assert mask_personal_data("به ali.rezaei+311@example.co.ir بنویسید") == f"به {MASKS['email']} بنویسید"


def test_html_is_kept_as_text() -> None:
    text = "<script>alert('x')</script>\r\nخط دوم\x00"
    assert clean_text(text) == "<script>alert('x')</script>\nخط دوم"
    assert contains_html(text)
    assert not contains_html("a < b and c > d")
