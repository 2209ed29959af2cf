"""Loyalty programs: create, read, change (archive) and delete. Their cards and the ledgers of
their profiles and cards are routes under the program (`cards.py`, `ledger.py`)."""

from rest_framework import mixins, status
from rest_framework.response import Response

from core.api.csv import csv_action
from core.api.serializers import query_data
from core.csv_export import csv_response
from customers.models import CustomerProfile
from loyalty import exports, selectors, services
from loyalty.api.serializers.ledger import LedgerExportQuerySerializer
from loyalty.api.serializers.programs import LoyaltyProgramSerializer
from loyalty.models import LoyaltyProgram, PointsAccount
from organizations.api.viewsets import TenantViewSet


class LoyaltyProgramViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantViewSet,
):
    """Loyalty programs; their cards and the points ledgers of their profiles and cards."""

    queryset = LoyaltyProgram.objects.all()
    serializer_class = LoyaltyProgramSerializer
    filterset_fields = ("kind", "status")
    ordering_fields = ("created_at", "name")
    idempotent_actions = frozenset({"create"})

    def perform_create(self, serializer):
        serializer.instance = services.create_loyalty_program(
            organization=self.organization, data=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_loyalty_program(
            program=serializer.instance, data=serializer.validated_data
        )

    def destroy(self, request, pk=None):
        services.delete_loyalty_program(program=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @csv_action(
        detail=True,
        url_path="transactions.csv",
        summary="Download the program's points ledger as CSV",
        parameters=[LedgerExportQuerySerializer],
    )
    def transactions_csv(self, request, pk=None):
        program = self.get_object()
        query = LedgerExportQuerySerializer(data=query_data(request))
        query.is_valid(raise_exception=True)
        params = query.validated_data
        accounts = PointsAccount.objects.filter(program=program)
        if "profile" in params:
            profile = CustomerProfile.objects.for_organization(self.organization).filter(
                integration_id=params["profile"]
            )
            accounts = accounts.filter(profile__in=profile)
        transactions = selectors.transactions(
            accounts=accounts,
            kind=params.get("kind"),
            start=params.get("start_date"),
            end=params.get("end_date"),
        )
        return csv_response(
            exports.transactions(transactions, filename=f"ledger-{program.number}.csv")
        )
