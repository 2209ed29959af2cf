"""What the audiences app holds on a customer: its memberships for the data export, and the
stored import files, which are deleted a set time after the import ends
(AUDIENCE_IMPORT_FILE_RETENTION_DAYS) and scrubbed of an erased customer's rows meanwhile."""

import contextlib
import csv
import datetime as dt

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from .models import AudienceImport, AudienceMembership

FINISHED = (
    AudienceImport.Status.COMPLETED,
    AudienceImport.Status.FAILED,
    AudienceImport.Status.CANCELED,
)


def export_sections(*, profile) -> dict:
    return {
        "audiences": list(
            AudienceMembership.objects.filter(profile=profile)
            .order_by("added_at")
            .values("audience_id", "audience__name", "source", "added_at")
        )
    }


def _kept_files():
    """Imports whose file is still stored."""
    return AudienceImport.objects.exclude(file="")


def _without(text: str, wanted: set[str]) -> str | None:
    """The CSV `text` without the rows naming the customer (a cell equal to one of `wanted`),
    or None if none does. A line the csv module cannot read (a NUL, an over-long field) goes
    if it merely contains one of them: the stored copy errs on the side of the customer."""
    kept, dropped = [], False
    dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    for line in text.splitlines(keepends=True):
        try:
            cells = next(csv.reader([line], dialect), [])
            names = any(cell.strip().lower() in wanted for cell in cells)
        except csv.Error:
            names = any(value in line.lower() for value in wanted)
        if names:
            dropped = True
        else:
            kept.append(line)
    return "".join(kept) if dropped else None


def scrub_import_files(*, profile, identifiers) -> int:
    """Rewrite the organization's stored import files without the rows that name the
    customer (its integration_id, email or mobile number); returns how many files changed."""
    wanted = {value.strip().lower() for value in identifiers if value and value.strip()}
    if not wanted:
        return 0
    changed = 0
    for imp in _kept_files().filter(organization_id=profile.organization_id):
        try:
            with imp.file.open("rb") as handle:
                raw = handle.read()
        except (FileNotFoundError, OSError):
            continue
        scrubbed = _without(raw.decode("utf-8-sig", errors="replace"), wanted)
        if scrubbed is None:
            continue
        name = imp.file.name
        imp.file.delete(save=False)
        imp.file.save(name.rsplit("/", 1)[-1], ContentFile(scrubbed.encode()), save=True)
        changed += 1
    return changed


def delete_old_import_files(*, now: dt.datetime | None = None) -> int:
    """Delete the stored files of imports that ended more than the retention period ago
    (their counts and errors stay); returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.AUDIENCE_IMPORT_FILE_RETENTION_DAYS)
    deleted = 0
    for imp in _kept_files().filter(status__in=FINISHED, finished_at__lt=cutoff):
        imp.file.delete(save=False)
        AudienceImport.objects.filter(pk=imp.pk).update(file="")
        deleted += 1
    return deleted
