"""Loyalty programs: create, read, change (archive) and delete. Their cards and the ledgers of
their profiles and cards are routes under the program (`cards.py`, `ledger.py`)."""

from rest_framework import mixins, status
from rest_framework.response import Response

from loyalty import services
from loyalty.api.serializers.programs import LoyaltyProgramSerializer
from loyalty.models import LoyaltyProgram
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
