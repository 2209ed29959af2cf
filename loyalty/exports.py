"""CSV export of the points ledger, streamed (core.csv_export)."""

from django.db.models import QuerySet

from core.csv_export import CsvExport, queryset_export

TRANSACTION_COLUMNS = {
    "number": "number",
    "created_at": "created_at",
    "program": "program__name",
    "integration_id": "account__profile__integration_id",
    "card": "account__card__identifier",
    "subledger_id": "account__subledger_id",
    "kind": "kind",
    "amount": "amount",
    "reason": "reason",
    "reference": "reference",
    "activates_at": "activates_at",
    "expires_at": "expires_at",
}


def transactions(queryset: QuerySet, *, filename: str) -> CsvExport:
    """Ledger transactions (already scoped and filtered), oldest first."""
    ordered = queryset.order_by("created_at", "id")
    return queryset_export(ordered, TRANSACTION_COLUMNS, filename=filename)
