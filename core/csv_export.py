"""CSV downloads in constant memory: rows stream from a database cursor to the response, and
text cells that a spreadsheet would run as a formula are escaped (OWASP CSV injection).

An export is a `CsvExport`: a file name, a header and the rows (an iterator of tuples, e.g.
`queryset.values_list(...).iterator()`). The API and the admin both answer it with
`csv_response`, so a download is the same file wherever it is asked for."""

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.http import StreamingHttpResponse

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 2000  # rows fetched per round trip, and rows per chunk written to the client
CONTENT_TYPE = "text/csv; charset=utf-8"


def safe_cell(value) -> object:
    """A value as a CSV cell: text that could run as a formula gets a leading `'` (shown as
    text, the value itself intact after it); numbers stay numbers, None is empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


class _Buffer:
    """A file-like object that hands back what is written, so csv.writer builds strings."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


@dataclass
class CsvExport:
    filename: str
    header: tuple[str, ...]
    rows: Iterable[tuple]

    def lines(self) -> Iterator[str]:
        """The file in chunks of CHUNK_ROWS rows, header first."""
        buffer = _Buffer()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.header)
        yield buffer.take()
        for count, row in enumerate(self.rows, start=1):
            writer.writerow([safe_cell(value) for value in row])
            if count % CHUNK_ROWS == 0:
                yield buffer.take()
        if rest := buffer.take():
            yield rest


def queryset_export(queryset, columns: dict[str, str], *, filename: str) -> CsvExport:
    """A CsvExport of an ordered queryset: `columns` maps each header to the field path it
    reads (`"integration_id": "profile__integration_id"`); rows come CHUNK_ROWS at a time."""
    rows = queryset.values_list(*columns.values()).iterator(chunk_size=CHUNK_ROWS)
    return CsvExport(filename, tuple(columns), rows)


def csv_response(export: CsvExport) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.lines(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
