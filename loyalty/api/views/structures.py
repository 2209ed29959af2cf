"""Tier structures (Voucherify's shape, tiers nested) and tiers one at a time: create, change,
activate or deactivate, soft-delete; the ladder and the dry-run preview."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.errors import django_validation_error_to_drf
from loyalty import selectors, services
from loyalty.api.serializers import structures as s
from loyalty.filters import TierFilter, TierStructureFilter
from loyalty.models import Tier, TierStructure
from organizations.api.viewsets import TenantViewSet


def _rekey(exc: DjangoValidationError, mapping: dict) -> ValidationError:
    """A service error on model columns, named by the API fields that carry them."""
    drf = django_validation_error_to_drf(exc)
    if isinstance(drf.detail, dict):
        detail: dict = {}
        for field, messages in drf.detail.items():
            detail.setdefault(mapping.get(field, field), []).extend(messages)
        drf.detail = detail
    return drf


class TierStructureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tier structures (Voucherify's shape) with their tiers nested."""

    queryset = TierStructure.objects.prefetch_related(
        Prefetch("tiers", queryset=Tier.objects.order_by("order"))
    )
    serializer_class = s.TierStructureSerializer
    filterset_class = TierStructureFilter
    ordering_fields = ("created_at", "name")
    idempotent_actions = frozenset({"create"})
    http_method_names = ("get", "post", "patch", "delete", "head", "options")
    documented_error_statuses = {
        "activate": ("409",),
        "deactivate": ("409",),
        "destroy": ("409",),
        "partial_update": ("409",),
    }

    @extend_schema(
        request=s.TierStructureWriteSerializer, responses={201: s.TierStructureSerializer}
    )
    def create(self, request):
        data = s.TierStructureWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        payload = data.validated_data
        try:
            structure = services.create_tier_structure(
                program=payload["program"],
                data=s.structure_fields(payload),
                tiers=payload.get("tiers", []),
                status=payload["status"],
            )
        except DjangoValidationError as exc:
            raise _rekey(exc, s.STRUCTURE_ERROR_FIELDS) from exc
        return Response(
            s.TierStructureSerializer(self.reload(structure)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.TierStructureUpdateSerializer, responses=s.TierStructureSerializer)
    def partial_update(self, request, pk=None):
        structure = self.get_object()
        data = s.TierStructureUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payload = data.validated_data
        try:
            structure = services.update_tier_structure(
                structure=structure,
                data=s.structure_fields(payload),
                tiers=payload.get("tiers"),
            )
        except DjangoValidationError as exc:
            raise _rekey(exc, s.STRUCTURE_ERROR_FIELDS) from exc
        return Response(s.TierStructureSerializer(self.reload(structure)).data)

    @extend_schema(responses={204: None}, summary="Delete a tier structure (soft)")
    def destroy(self, request, pk=None):
        services.delete_tier_structure(structure=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def filter_list(self, queryset):
        if "status" not in self.request.query_params:
            queryset = queryset.exclude(status=TierStructure.Status.DELETED)  # soft-deleted
        return queryset

    @extend_schema(request=None, responses=s.TierStructureSerializer, summary="Activate")
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        structure = services.set_tier_structure_status(
            structure=self.get_object(), status=TierStructure.Status.ACTIVE
        )
        return Response(s.TierStructureSerializer(self.reload(structure)).data)

    @extend_schema(request=None, responses=s.TierStructureSerializer, summary="Deactivate")
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        structure = services.set_tier_structure_status(
            structure=self.get_object(), status=TierStructure.Status.INACTIVE
        )
        return Response(s.TierStructureSerializer(self.reload(structure)).data)

    @extend_schema(
        responses=s.PreviewRowSerializer(many=True),
        summary="Dry run: customers per tier if activated now",
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def preview(self, request, pk=None):
        rows = selectors.structure_preview(structure=self.get_object(), now=timezone.now())
        return Response(s.PreviewRowSerializer(rows, many=True).data)

    @extend_schema(
        responses=s.LadderRowSerializer(many=True),
        summary="Tiers with their ranges and current member counts",
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def ladder(self, request, pk=None):
        rows = selectors.tier_ladder(structure=self.get_object())
        return Response(s.LadderRowSerializer(rows, many=True).data)


class TierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Tiers one at a time (the same rules as the nested ladder)."""

    queryset = Tier.objects.all()
    serializer_class = s.TierSerializer
    filterset_class = TierFilter
    ordering_fields = ("created_at", "order")
    idempotent_actions = frozenset({"create"})
    http_method_names = ("get", "post", "patch", "delete", "head", "options")

    @extend_schema(request=s.TierCreateSerializer, responses={201: s.TierSerializer})
    def create(self, request):
        data = s.TierCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        payload = dict(data.validated_data)
        structure = payload.pop("structure")
        tier = services.create_tier(structure=structure, data=payload)
        return Response(s.TierSerializer(tier).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TierPatchSerializer, responses=s.TierSerializer)
    def partial_update(self, request, pk=None):
        tier = self.get_object()
        data = s.TierPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payload = {k: v for k, v in data.validated_data.items() if k != "id"}
        tier = services.update_tier(tier=tier, data=payload)
        return Response(s.TierSerializer(tier).data)

    def destroy(self, request, pk=None):
        services.delete_tier(tier=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
