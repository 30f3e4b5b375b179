"""Photos of reported problems: checked by their content, re-encoded without metadata, stored with the
report.

A phone's photo carries where it was taken (EXIF GPS, to a few metres: often the reporter's home) and the
camera's make, model and serial. Re-encoding keeps only the pixels: the image is decoded, turned upright
by its EXIF orientation, reduced to `photo_max_side_px` and saved as a fresh JPEG with no EXIF, XMP or ICC
data. The type is read from the bytes by Pillow, never from the file name or the client's content type.

Photos are stored in the database (`civic_report_photos.data`), not in a media folder: a photo then
commits or rolls back with its report, is in the same backup, and any number of server processes on
any number of machines serve it without a shared file system. After re-encoding a photo is a few
hundred kilobytes, small enough for PostgreSQL's bytea and SQLite's blobs.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from shahr.civic.reports.errors import BadPhoto, PhotoNotFound
from shahr.civic.reports.settings import ReportSettings
from shahr.civic.reports.tables import ReportPhoto
from shahr.civic.reports.workflow import get_report

ACCEPTED = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
"""Image formats accepted, as Pillow names them from the content; everything is stored as JPEG."""
JPEG_QUALITY = 85


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    width: int
    height: int


def clean_photo(data: bytes, settings: ReportSettings) -> CleanPhoto:
    """The photo re-encoded as a JPEG without metadata, or `BadPhoto`: empty, over
    `photo_max_bytes`, not one of `ACCEPTED` by content, over `photo_max_pixels`, or undecodable."""
    if not data:
        raise BadPhoto("the photo is empty", field="media")
    if len(data) > settings.photo_max_bytes:
        raise BadPhoto(
            f"the photo is {len(data):,} bytes; at most {settings.photo_max_bytes:,} are accepted",
            field="media",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED:
                raise BadPhoto(
                    f"a {image.format} image is not accepted: send JPEG, PNG, WebP or GIF", field="media"
                )
            if image.width * image.height > settings.photo_max_pixels:
                raise BadPhoto(
                    f"the photo is {image.width}x{image.height} pixels; "
                    f"at most {settings.photo_max_pixels:,} pixels are accepted",
                    field="media",
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadPhoto(f"the upload is not an image that can be read: {exc}", field="media") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadPhoto(f"the image is damaged: {exc}", field="media") from exc
    pixels = _flatten(upright)
    pixels.thumbnail((settings.photo_max_side_px, settings.photo_max_side_px))
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(out.getvalue(), pixels.width, pixels.height)


def add_photo(
    session: Session, report_id: int, data: bytes, settings: ReportSettings, now: datetime
) -> ReportPhoto:
    """Clean the photo and store it with the report."""
    return store_photo(session, report_id, clean_photo(data, settings), now)


def store_photo(session: Session, report_id: int, clean: CleanPhoto, now: datetime) -> ReportPhoto:
    """Store a photo already cleaned (`clean_photo`), e.g. checked before its report was filed."""
    report = get_report(session, report_id)
    photo = ReportPhoto(
        report_id=report.id,
        content_type="image/jpeg",
        width=clean.width,
        height=clean.height,
        size_bytes=len(clean.data),
        sha256=hashlib.sha256(clean.data).hexdigest(),
        data=clean.data,
        created_at=now,
    )
    session.add(photo)
    session.flush()
    return photo


def get_photo(session: Session, photo_id: int) -> ReportPhoto:
    photo = session.get(ReportPhoto, photo_id) if 0 < photo_id < 2**63 else None
    if photo is None:
        raise PhotoNotFound(f"no photo {photo_id}", field="path.photo_id")
    return photo


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels only: transparency over white (a JPEG has none), palettes and greyscale expanded.
    A new image, so nothing of the original's `info` (EXIF, XMP, ICC) travels with it."""
    rgba = image.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, (255, 255, 255))
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas
