"""What the campaigns app holds on a customer, for the data export: its sessions (with their
carts and the effects applied) and events."""

from .models import AppliedEffect, CustomerEvent, CustomerSession


def export_sections(*, profile) -> dict:
    sessions = CustomerSession.objects.filter(profile=profile).prefetch_related("items")
    return {
        "customer_sessions": [
            {
                "session_id": s.session_id,
                "state": s.state,
                "total": s.total,
                "cart_items": [
                    {"sku": i.sku, "name": i.name, "quantity": i.quantity, "price": i.price}
                    for i in s.items.all()
                ],
                "created_at": s.created_at,
                "closed_at": s.closed_at,
            }
            for s in sessions.order_by("created_at")
        ],
        "customer_events": list(
            CustomerEvent.objects.filter(profile=profile)
            .order_by("created_at")
            .values("type", "attributes", "created_at")
        ),
        "applied_effects": list(
            AppliedEffect.objects.filter(transaction__account__profile=profile)
            .order_by("created_at", "id")
            .values("type", "rule_name", "amount", "reason", "created_at")
        ),
    }
