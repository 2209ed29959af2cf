"""What the loyalty app holds on a customer, for the data export (customers'
`customer_data_exported` hook): balances per program and subledger, every transaction, and
the cards linked to the profile."""

from .models import LoyaltyCard, PointsAccount, PointsTransaction


def export_sections(*, profile) -> dict:
    accounts = PointsAccount.objects.filter(profile=profile).select_related("program")
    return {
        "loyalty": [
            {
                "program": a.program_id,
                "program_name": a.program.name,
                "subledger_id": a.subledger_id,
                "active_points": a.active_points,
                "pending_points": a.pending_points,
                "expired_points": a.expired_points,
                "spent_points": a.spent_points,
            }
            for a in accounts
        ],
        "points_transactions": list(
            PointsTransaction.objects.filter(account__profile=profile)
            .order_by("created_at", "id")
            .values("id", "program_id", "amount", "kind", "reason", "reference", "created_at")
        ),
        "loyalty_cards": list(
            LoyaltyCard.objects.filter(profiles=profile).values(
                "id", "program_id", "identifier", "status"
            )
        ),
    }
