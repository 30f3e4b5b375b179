"""Photos: checked by content, re-encoded so that EXIF location and camera data are gone."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from shahr.civic.geo import Districts
from shahr.civic.reports import workflow
from shahr.civic.reports.errors import BadPhoto
from shahr.civic.reports.photos import add_photo, clean_photo, get_photo
from shahr.civic.reports.settings import ReportSettings
from tests.civic.reports.conftest import HARAM

GPS_IFD, MAKE, MODEL, ORIENTATION = 0x8825, 0x010F, 0x0110, 0x0112


def jpeg_with_gps(size: tuple[int, int] = (800, 600), orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: GPS position (the Haram), camera make and model, orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[MODEL] = "Model X 12"
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (36.0, 17.0, 16.8)
    gps[3], gps[4] = "E", (59.0, 36.0, 56.5)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_the_fixture_really_has_gps_and_camera() -> None:
    exif = Image.open(io.BytesIO(jpeg_with_gps())).getexif()
    assert exif[MODEL] == "Model X 12" and exif.get_ifd(GPS_IFD)[1] == "N"


def test_exif_stripped_and_size_reduced(settings: ReportSettings) -> None:
    clean = clean_photo(jpeg_with_gps((1600, 1200)), settings)
    stored = Image.open(io.BytesIO(clean.data))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {} and "exif" not in stored.info
    assert b"Exif" not in clean.data and b"Model X 12" not in clean.data and b"PhoneMaker" not in clean.data
    assert (clean.width, clean.height) == (512, 384)  # photo_max_side_px = 512 in these tests


def test_orientation_applied_before_stripping(settings: ReportSettings) -> None:
    # Orientation 6: the camera was turned 90 degrees; shown upright the 400x200 image is 200x400.
    clean = clean_photo(jpeg_with_gps((400, 200), orientation=6), settings)
    assert (clean.width, clean.height) == (200, 400)


def test_png_with_transparency_becomes_jpeg(settings: ReportSettings) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, "PNG")
    clean = clean_photo(out.getvalue(), settings)
    assert Image.open(io.BytesIO(clean.data)).getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "empty"),
        (b"%PDF-1.7 not a photo", "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not an image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "not an image|damaged"),
    ],
)
def test_non_images_refused(settings: ReportSettings, data: bytes, match: str) -> None:
    with pytest.raises(BadPhoto, match=match):
        clean_photo(data, settings)


def test_oversized_and_unaccepted_formats_refused(settings: ReportSettings) -> None:
    with pytest.raises(BadPhoto, match="at most 300,000 are accepted"):
        clean_photo(b"\xff\xd8" + b"\x00" * 300_000, settings)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "BMP")
    with pytest.raises(BadPhoto, match="BMP image is not accepted"):
        clean_photo(out.getvalue(), settings)
    small = ReportSettings(photo_max_pixels=1000)
    with pytest.raises(BadPhoto, match="at most 1,000 pixels"):
        clean_photo(jpeg_with_gps((100, 100)), small)


def test_stored_with_the_report(session: Session, settings: ReportSettings, districts: Districts) -> None:
    now = datetime(2025, 11, 28, 10, 0, tzinfo=UTC)
    new = workflow.NewReport(service_code="road_damage", description="x", lat=HARAM[0], lon=HARAM[1])
    report = workflow.file_report(session, new, settings=settings, districts=districts, now=now).report
    photo = add_photo(session, report.id, jpeg_with_gps(), settings, now)
    session.commit()
    stored = get_photo(session, photo.id)
    assert stored.content_type == "image/jpeg" and stored.size_bytes == len(stored.data)
    assert b"Model X 12" not in stored.data
