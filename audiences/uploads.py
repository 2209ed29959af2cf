"""Size limits of audience CSV uploads (settings AUDIENCE_IMPORT_MAX_BYTES and
AUDIENCE_IMPORT_MAX_ROWS), checked before the file is stored."""

import csv
import io

from django.conf import settings

from core.errors import PayloadTooLargeError

# multipart framing around the file: boundaries, headers and the `mode` field
MULTIPART_OVERHEAD = 64 * 1024


def check_request_size(content_length) -> None:
    """413 from the Content-Length header alone, before a byte of the body is read."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return
    if length > settings.AUDIENCE_IMPORT_MAX_BYTES + MULTIPART_OVERHEAD:
        raise _too_many_bytes()


def check_upload_limits(uploaded_file) -> None:
    """413 when the file has more bytes or more data rows (after the header) than allowed.
    Rows are counted as a CSV reader sees them, so a quoted multi-line cell is one row."""
    if uploaded_file.size is not None and uploaded_file.size > settings.AUDIENCE_IMPORT_MAX_BYTES:
        raise _too_many_bytes()
    limit = settings.AUDIENCE_IMPORT_MAX_ROWS
    uploaded_file.seek(0)
    text = io.TextIOWrapper(uploaded_file, encoding="utf-8-sig", errors="replace", newline="")
    try:
        for rows, _ in enumerate(csv.reader(text)):  # row 0 is the header
            if rows > limit:
                raise PayloadTooLargeError(
                    f"At most {limit:,} row{'' if limit == 1 else 's'} per import (the limit "
                    "AUDIENCE_IMPORT_MAX_ROWS); split the file.",
                    code="too_many_rows",
                )
    except csv.Error:
        pass  # the import's own check pass reports malformed CSV, with its row number
    finally:
        text.detach()
        uploaded_file.seek(0)


def _too_many_bytes() -> PayloadTooLargeError:
    limit = settings.AUDIENCE_IMPORT_MAX_BYTES
    return PayloadTooLargeError(
        f"A CSV upload may be at most {limit:,} bytes ({limit / 1024 / 1024:.0f} MB, the limit "
        "AUDIENCE_IMPORT_MAX_BYTES).",
        code="file_too_large",
    )
