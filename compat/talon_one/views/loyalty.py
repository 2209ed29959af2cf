"""Loyalty: balances, unused points and transactions of a profile or a card, and linking a
card to a profile. Programs are named by their number."""

import datetime as dt

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from customers.models import CustomerProfile
from loyalty import owners, selectors, services
from loyalty.models import LoyaltyCard, LoyaltyProgram, PointsTransaction

from .. import requests, shapes
from ..base import TalonView, number_id

# Talon's loyaltyTransactionType → our kinds
TRANSACTION_TYPES = {
    "manual": [PointsTransaction.Kind.MANUAL],
    "session": [PointsTransaction.Kind.SESSION, PointsTransaction.Kind.EVENT],
    "import": [PointsTransaction.Kind.IMPORT],
}
POINT_STATUSES = ("active", "pending", "expired")


def query_datetime(request, name: str) -> dt.datetime | None:
    """Talon's SDK sends `%Y-%m-%dT%H:%M:%S.%f%z` (an offset without colon, or none)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    raw = raw.replace(" ", "+")  # a `+` the caller did not encode
    if len(raw) > 5 and raw[-5] in "+-" and raw[-4:].isdigit():
        raw = f"{raw[:-2]}:{raw[-2:]}"  # +0000 → +00:00
    try:
        value = parse_datetime(raw)
    except ValueError:  # well formed, but no such moment
        value = None
    if value is None:
        raise ValidationError({name: ["Must be a date and time (RFC 3339)."]})
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


class LedgerView(TalonView):
    """Shared by the profile and card routes: the program by number, the owner by key."""

    owner = owners.PROFILE

    def ledger(self, program_id, key) -> tuple[LoyaltyProgram, dict]:
        program = self.tenant_row(LoyaltyProgram.objects, number=number_id(program_id))
        if program.kind != self.owner.program_kind:
            raise NotFound()
        row = self.owner.rows(program).filter(**{self.owner.key_field: key}).first()
        if row is None:
            raise NotFound()
        return program, {self.owner.name: row}

    def subledgers(self) -> list[str] | None:
        values = self.request.query_params.getlist("subledgerId")
        return values or None

    def card_identifier(self, owner: dict) -> str | None:
        card = owner.get("card")
        return card.identifier if card is not None else None


class BalancesView(LedgerView):
    """get_loyalty_balances / get_loyalty_card_balances → loyalty.selectors.balances."""

    def get(self, request, program_id, key):
        program, owner = self.ledger(program_id, key)
        result = selectors.balances(
            program=program,
            at=query_datetime(request, "endDate"),
            subledger_ids=self.subledgers(),
            **owner,
        )
        tier = None
        if "profile" in owner and self.query_flag("includeTiers"):
            current = selectors.current_tier(program=program, **owner)
            tier = {"id": current.number, "name": current.name} if current else None
        answer = {
            "subledgerBalances": {
                key: shapes.balance(values) for key, values in result["subledger_balances"].items()
            }
        }
        if "balance" in result:
            answer["balance"] = shapes.balance(result["balance"], tier)
        if "card" in owner:
            answer["profiles"] = [
                {"integrationId": p.integration_id, "timestamp": p.created_at}
                for p in owner["card"].profiles.all()
            ]
        return Response(answer)


class PointsView(LedgerView):
    """get_loyalty_program_profile_points / get_loyalty_card_points →
    loyalty.selectors.points_lots."""

    def get(self, request, program_id, key):
        program, owner = self.ledger(program_id, key)
        status = request.query_params.get("status", "active")
        if status not in POINT_STATUSES:
            raise ValidationError({"status": [f"One of {', '.join(POINT_STATUSES)}."]})
        accounts = selectors.account_queryset(
            program=program, subledger_ids=self.subledgers(), **owner
        )
        lots = (
            selectors.points_lots(accounts=accounts, status=status)
            .select_related("transaction")
            .order_by("created_at", "id")
        )
        return Response(
            self.page(lots, lambda lot: shapes.points_entry(lot, program_number=program.number))
        )


class TransactionsView(LedgerView):
    """get_loyalty_program_profile_transactions / get_loyalty_card_transactions →
    loyalty.selectors.transactions."""

    def get(self, request, program_id, key):
        program, owner = self.ledger(program_id, key)
        kind = request.query_params.get("loyaltyTransactionType")
        if kind is not None and kind not in TRANSACTION_TYPES:
            raise ValidationError(
                {"loyaltyTransactionType": [f"One of {', '.join(TRANSACTION_TYPES)}."]}
            )
        accounts = selectors.account_queryset(
            program=program, subledger_ids=self.subledgers(), **owner
        )
        rows = selectors.transactions(
            accounts=accounts,
            start=query_datetime(request, "startDate"),
            end=query_datetime(request, "endDate"),
        )
        if kind is not None:
            rows = rows.filter(kind__in=TRANSACTION_TYPES[kind])
        card = self.card_identifier(owner)
        return Response(
            self.page(
                rows.order_by("created_at", "id"),
                lambda txn: shapes.transaction_entry(
                    txn, program_number=program.number, card_identifier=card
                ),
            )
        )


class CardProfileView(LedgerView):
    """link_loyalty_card_to_profile → loyalty.services.link_card_profile;
    unlink_loyalty_card_from_profile → unlink_card_profile."""

    owner = owners.CARD
    service = staticmethod(services.link_card_profile)

    def post(self, request, program_id, key):
        program, owner = self.ledger(program_id, key)
        body = requests.CardRegistration(data=request.data)
        body.is_valid(raise_exception=True)
        profile = self.tenant_row(
            CustomerProfile.objects, integration_id=body.validated_data["integrationId"]
        )
        self.service(card=owner["card"], profile=profile)
        card = LoyaltyCard.objects.prefetch_related("profiles").get(pk=owner["card"].pk)
        return Response(shapes.card(card, program_number=program.number))


class CardUnlinkView(CardProfileView):
    service = staticmethod(services.unlink_card_profile)
