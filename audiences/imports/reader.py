"""Reading an import's file: its layout (delimiter, columns), its records, the check pass that
counts them, and the check of one row against the API's rules for profiles.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is 2.
"""

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from core.validators import is_clean_text
from customers.models import CustomerProfile
from customers.validators import (
    MAX_ATTRIBUTES,
    is_valid_attribute_key,
    validate_email,
    validate_msisdn,
)

PROFILE_COLUMNS = ("integration_id", "email", "msisdn", "first_name", "last_name")
# the profile's own limits (the API's serializer has the same)
MAX_LENGTH = {name: CustomerProfile._meta.get_field(name).max_length for name in PROFILE_COLUMNS}
MAX_ATTRIBUTE_VALUE = 1000
# the API's validators for these columns, and how much of a refused value a message repeats
FIELD_VALIDATORS = (("email", validate_email, 100), ("msisdn", validate_msisdn, 30))

csv.field_size_limit(1_000_000)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""


@dataclass
class Layout:
    delimiter: str
    columns: list[str]  # profile column name or attribute name, per position
    attribute_positions: list[int] = field(default_factory=list)


@dataclass
class Row:
    number: int
    integration_id: str
    values: dict  # profile column -> value ('' when empty or absent)
    attributes: dict


def _open(path):
    # utf-8-sig drops a BOM if there is one; errors surface as UnicodeDecodeError. newline=""
    # leaves line breaks to the csv module, so U+2028 or a form feed inside a cell stays there.
    return open(path, encoding="utf-8-sig", errors="strict", newline="", buffering=1 << 20)


def read_layout(path) -> Layout:
    """The header: attribute names are checked once here (customers.validators), not per row."""
    try:
        with _open(path) as handle:
            header_line = handle.readline()
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text. Save it as CSV UTF-8 and retry."
        ) from None
    if "\x00" in header_line:
        raise ImportFileError("This is not a CSV file (it contains binary data).")
    if not header_line.strip():
        raise ImportFileError("The file is empty: the first line must name the columns.")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    try:
        names = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError(f"The header line cannot be read as CSV: {exc}.") from None
    columns, seen, bad = [], set(), []
    for raw in names:
        name = raw.strip()
        lowered = name.lower()
        if lowered in PROFILE_COLUMNS:
            name = lowered
        else:
            name = re.sub(r"\s+", "_", name)
            if not is_valid_attribute_key(name):
                bad.append(raw)
        if name.lower() in seen:  # header names are case-insensitive
            raise ImportFileError(f"The column “{raw.strip()}” appears twice in the header.")
        seen.add(name.lower())
        columns.append(name)
    if "integration_id" not in columns:
        raise ImportFileError(
            "The header has no integration_id column (found: "
            + ", ".join(n.strip() for n in names[:10])
            + ")."
        )
    if bad:
        raise ImportFileError(
            "These column names cannot be attribute names: "
            + ", ".join(f"“{b.strip()}”" for b in bad[:10])
            + ". Use letters, digits, '_' or '-', starting with a letter."
        )
    attribute_positions = [i for i, c in enumerate(columns) if c not in PROFILE_COLUMNS]
    if len(attribute_positions) > MAX_ATTRIBUTES:
        raise ImportFileError(
            f"The file has {len(attribute_positions)} attribute columns; a profile holds at "
            f"most {MAX_ATTRIBUTES} attributes."
        )
    return Layout(delimiter=delimiter, columns=columns, attribute_positions=attribute_positions)


def records(path, layout: Layout) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) for every data row; blank lines are skipped."""
    with _open(path) as handle:
        reader = csv.reader(handle, delimiter=layout.delimiter)
        next(reader, None)
        number = 1
        for cells in reader:
            number += 1
            if not cells or (len(cells) == 1 and not cells[0].strip(" \t\x1a")):
                continue  # blank lines, and the end-of-file mark old Windows tools add
            yield number, cells


def chunks(path, layout: Layout, size: int) -> Iterator[list[tuple[int, list[str]]]]:
    """The records in lists of `size` (the last one shorter)."""
    chunk = []
    for record in records(path, layout):
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def count_rows(path, layout: Layout) -> int:
    """The check pass: reads the whole file (encoding, CSV shape) and counts data rows."""
    try:
        return sum(1 for _ in records(path, layout))
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text (some bytes cannot be read). Save it as CSV UTF-8."
        ) from None
    except csv.Error as exc:
        raise ImportFileError(f"The file cannot be read as CSV: {exc}.") from None


def check_row(number: int, cells: list[str], layout: Layout) -> tuple[Row | None, list[str]]:
    """The row, or the issues that keep it out: what the API would refuse, with its message.

    Attribute values are text here (a cell is never a number or an object), so of the API's
    attribute rules only storable text applies (core.validators.is_clean_text, checked on
    every cell); names and their count were checked with the header."""
    issues = []
    if len(cells) != len(layout.columns):
        return None, [f"Expected {len(layout.columns)} columns, found {len(cells)}."]
    if not all(is_clean_text(cell) for cell in cells):  # never echo such text back
        return None, ["The row contains characters that cannot be stored (e.g. NUL)."]
    values = dict.fromkeys(PROFILE_COLUMNS, "")
    for position, column in enumerate(layout.columns):
        if column in values:
            values[column] = cells[position].strip()
    values["email"] = values["email"].lower()  # before the length check: "İ".lower() grows
    integration_id = values["integration_id"]
    if not integration_id:
        issues.append("integration_id is missing.")
    for column, limit in MAX_LENGTH.items():
        if len(values[column]) > limit:
            issues.append(f"{column} is longer than {limit} characters.")
    for column, validate, shown in FIELD_VALIDATORS:
        if value := values[column]:
            try:
                validate(value)
            except ValidationError as exc:
                issues.append(f"{column} “{value[:shown]}”: {' '.join(exc.messages)}")
    attributes = {}
    for position in layout.attribute_positions:
        value = cells[position].strip()
        if not value:
            continue
        if len(value) > MAX_ATTRIBUTE_VALUE:
            issues.append(f"{layout.columns[position]} is longer than {MAX_ATTRIBUTE_VALUE}.")
        attributes[layout.columns[position]] = value
    if issues:
        return None, issues
    return Row(number, integration_id, values, attributes), []
