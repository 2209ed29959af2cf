"""The points ledger: writes (add, deduct), transactions, lots, balances, their query
parameters, and the tier history."""

from rest_framework import serializers

from core.api.serializers import ModelSerializer, QuerySerializer, Serializer
from loyalty.ledger import MAX_AMOUNT
from loyalty.models import PointsLot, PointsTransaction, TierChange

Kind = PointsTransaction.Kind


def write_kind(*kinds: str) -> serializers.ChoiceField:
    """The `kind` a points write may record; the first one is the default."""
    return serializers.ChoiceField(choices=list(kinds), default=kinds[0])


def subledger_ids() -> serializers.ListField:
    """`?subledger_id=a&subledger_id=b`: the subledgers a read is limited to ('' = main)."""
    return serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=True), required=False
    )


class PointsWriteSerializer(Serializer):
    amount = serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT)
    subledger_id = serializers.CharField(
        max_length=64, required=False, default="", allow_blank=True
    )
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    reference = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)


class AddPointsSerializer(PointsWriteSerializer):
    kind = write_kind(Kind.MANUAL, Kind.SESSION, Kind.IMPORT)
    activates_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class DeductPointsSerializer(PointsWriteSerializer):
    kind = write_kind(Kind.REDEEM, Kind.MANUAL, Kind.SESSION)


class PointsTransactionSerializer(ModelSerializer):
    subledger_id = serializers.CharField(source="account.subledger_id")

    class Meta:
        model = PointsTransaction
        fields = (
            "id",
            "number",
            "program",
            "subledger_id",
            "amount",
            "kind",
            "reason",
            "reference",
            "activates_at",
            "expires_at",
            "created_at",
        )
        read_only_fields = fields


class PointsLotSerializer(ModelSerializer):
    subledger_id = serializers.CharField(source="account.subledger_id")
    transaction = serializers.UUIDField(source="transaction_id")
    status = serializers.SerializerMethodField()
    unused = serializers.SerializerMethodField()

    class Meta:
        model = PointsLot
        fields = (
            "id",
            "transaction",
            "subledger_id",
            "amount",
            "unused",
            "status",
            "activates_at",
            "expires_at",
            "created_at",
        )
        read_only_fields = fields

    def get_status(self, obj) -> str:
        return self.context["status"]

    def get_unused(self, obj) -> int:
        # expired lots: what expired unspent (their `remaining` is 0 once settled)
        if self.context["status"] == "expired":
            return obj.amount - obj.spent_before_expiry
        return obj.remaining


class BalanceSerializer(Serializer):
    active = serializers.IntegerField()
    pending = serializers.IntegerField()
    expired = serializers.IntegerField()
    spent = serializers.IntegerField()
    tentative = serializers.IntegerField()


class BalancesSerializer(Serializer):
    balance = BalanceSerializer(required=False)
    subledger_balances = serializers.DictField(child=BalanceSerializer())


class BalancesQuerySerializer(QuerySerializer):
    end_date = serializers.DateTimeField(required=False)
    subledger_id = subledger_ids()


class PointsQuerySerializer(QuerySerializer):
    status = serializers.ChoiceField(
        choices=[("active", "active"), ("pending", "pending"), ("expired", "expired")],
        default="active",
    )
    subledger_id = subledger_ids()


class TransactionsQuerySerializer(QuerySerializer):
    kind = serializers.ChoiceField(choices=PointsTransaction.Kind.choices, required=False)
    start_date = serializers.DateTimeField(required=False)
    end_date = serializers.DateTimeField(required=False)
    subledger_id = subledger_ids()


class LedgerExportQuerySerializer(QuerySerializer):
    kind = serializers.ChoiceField(choices=PointsTransaction.Kind.choices, required=False)
    start_date = serializers.DateTimeField(required=False)
    end_date = serializers.DateTimeField(required=False)
    profile = serializers.CharField(
        required=False, max_length=255, help_text="Only this customer's (integration id)."
    )


class TierChangeSerializer(ModelSerializer):
    from_tier = serializers.CharField(source="from_tier_name", allow_null=True)
    to_tier = serializers.CharField(source="to_tier_name", allow_null=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {k: (v if v != "" else None) for k, v in data.items()}

    class Meta:
        model = TierChange
        fields = ("id", "structure", "from_tier", "to_tier", "reason", "points", "created_at")
        read_only_fields = fields
