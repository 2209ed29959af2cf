"""Loyalty memberships (batch API) and member groups."""

from django.db import transaction
from django.utils.text import slugify
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.fields import DateTimeField
from rest_framework.response import Response

from core.api.batch import validate_batch
from core.api.csv import csv_action
from core.api.errors import reject_oversized_batch
from core.api.pagination import CreatedCursorPagination
from core.api.schema import counts_response
from core.csv_export import csv_response
from core.errors import BatchValidationError
from customers.api.serializers import CustomerProfileSerializer
from customers.models import CustomerProfile
from loyalty.models import PointsAccount
from memberships import exports, selectors, services
from memberships.filters import LoyaltyMembershipFilter
from memberships.models import LoyaltyMembership, MembersGroup
from memberships.selectors import engine_tier, engine_tiers, ledger_points
from organizations.api.viewsets import TenantViewSet

from . import serializers as s


class _JSONDatetimes(dict):
    """datetime -> as DRF's DateTimeField shows it, each distinct value formatted once: a
    batch shares its created/updated time, so 2,000 values are a handful of calls."""

    _field = DateTimeField()

    def __missing__(self, value):
        text = None if value is None else self._field.to_representation(value)
        self[value] = text
        return text


def membership_rows(memberships, integration_ids=None) -> list[dict]:
    """Memberships as LoyaltyMembershipSerializer shows them, for a batch of written objects
    without a ModelSerializer (which costs more than the write for 1,000): the objects in
    hand, their profiles' integration ids (given, or one query) and the ledger balances (one
    query; the ledger wins over the stored points) and the tier engine's tiers (one query)."""
    profile_ids = {m.profile_id for m in memberships}
    if integration_ids is None:
        known = dict(
            CustomerProfile.objects.filter(pk__any=profile_ids).values_list("pk", "integration_id")
        )
        integration_ids = [known[m.profile_id] for m in memberships]
    ledger = {
        (program_id, profile_id): points
        for program_id, profile_id, points in PointsAccount.objects.filter(
            program_id__any={m.program_id for m in memberships},
            profile_id__any=profile_ids,
            subledger_id="",
        ).values_list("program_id", "profile_id", "active_points")
    }
    tiers = engine_tiers(memberships)
    dates = _JSONDatetimes()
    programs = {m.program_id: str(m.program_id) for m in memberships}
    return [
        {
            "id": str(m.pk),
            "program": programs[m.program_id],
            "profile": integration_id,
            "code": m.code,
            "is_primary": m.is_primary,
            "points": ledger.get((m.program_id, m.profile_id), m.points),
            "expiration_date": dates[m.expiration_date],
            "url": m.url,
            "tier": str(tier) if (tier := tiers.get((m.program_id, m.profile_id))) else None,
            "state": m.state,
            "activity_state": m.activity_state,
            "created_at": dates[m.created_at],
            "updated_at": dates[m.updated_at],
        }
        for m, integration_id in zip(memberships, integration_ids, strict=True)
    ]


class LimitPagination(CreatedCursorPagination):
    page_size_query_param = "limit"


class MembersPagination(CreatedCursorPagination):
    ordering = ("-added_at", "-id")


class LoyaltyMembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Mews-style loyalty memberships. Batch endpoints take up to 1,000 items, check them
    all, and write all or nothing. `points` is the ledger's active balance of the profile in
    the program when it has one (the ledger wins), else the stored value."""

    batch_actions = frozenset({"batch_add", "batch_update", "batch_delete"})
    queryset = LoyaltyMembership.objects.select_related("profile")
    serializer_class = s.LoyaltyMembershipSerializer
    filterset_class = LoyaltyMembershipFilter
    pagination_class = LimitPagination
    ordering_fields = ("created_at", "updated_at")
    idempotent_actions = frozenset({"create", "batch_add"})
    filtered_actions = frozenset({"export_csv"})
    documented_error_statuses = {
        "batch_add": ("413",),
        "batch_update": ("413",),
        "batch_delete": ("413",),
    }

    def scope_queryset(self, queryset):
        return queryset.annotate(engine_tier=engine_tier(), ledger_points=ledger_points())

    def _batch_items(self, request, serializer) -> list:
        """The request's `memberships`: 413 past the limit, else validated (fast path)."""
        reject_oversized_batch(request.data, "memberships", services.BATCH_LIMIT)
        return validate_batch(serializer, request.data, "memberships")

    def _run(self, service, field: str, **arguments):
        """A membership batch service for this organization; its item errors become a 400
        under `field` (`memberships.3.tier`)."""
        try:
            return service(organization=self.organization, **arguments)
        except BatchValidationError as exc:
            raise ValidationError(exc.as_detail(field)) from exc

    @extend_schema(
        request=s.MembershipSearchSerializer,
        responses=s.MembershipSearchPageSerializer,
        summary="Search memberships (the list's filters in a JSON body)",
        filters=False,
        parameters=[
            OpenApiParameter("cursor", str, description="The page after this one (`next`)."),
            OpenApiParameter("limit", int, description="Page size, 1 to 1,000 (default 50)."),
        ],
    )
    @action(detail=False, methods=["post"])
    def search(self, request):
        data = s.MembershipSearchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filters = data.validated_data
        rows = selectors.filter_memberships(
            self.get_queryset(),
            ids=filters.get("ids"),
            profiles=filters.get("profile"),
            programs=filters.get("program"),
            states=filters.get("state"),
            activity_state=filters["activity_state"],
            updated_after=filters.get("updated_after"),
            updated_before=filters.get("updated_before"),
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.LoyaltyMembershipSerializer(page, many=True).data)

    @csv_action(
        detail=False,
        url_path="export.csv",
        summary="Download memberships as CSV (the list's filters)",
        filtered=True,
    )
    def export_csv(self, request):
        rows = self.filter_queryset(LoyaltyMembership.objects.for_organization(self.organization))
        return csv_response(exports.memberships(rows, filename="memberships.csv"))

    @extend_schema(request=s.BatchAddSerializer, responses={201: s.MembershipBatchResultSerializer})
    @action(detail=False, methods=["post"], url_path="batch-add")
    def batch_add(self, request):
        items = self._batch_items(request, s.BatchAddSerializer)
        created = self._run(services.add_memberships, "memberships", items=items)
        rows = membership_rows(created, integration_ids=[item["profile"] for item in items])
        return Response({"memberships": rows}, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.BatchUpdateSerializer, responses=s.MembershipBatchResultSerializer)
    @action(detail=False, methods=["post"], url_path="batch-update")
    def batch_update(self, request):
        items = self._batch_items(request, s.BatchUpdateSerializer)
        changed = self._run(services.update_memberships, "memberships", items=items)
        return Response({"memberships": membership_rows(changed)})

    @extend_schema(
        request=s.BatchDeleteSerializer,
        responses={200: counts_response("MembershipsDeleted", "Memberships deleted.", "deleted")},
    )
    @action(detail=False, methods=["post"], url_path="batch-delete")
    def batch_delete(self, request):
        reject_oversized_batch(request.data, "ids", services.BATCH_LIMIT)
        data = s.BatchDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deleted = self._run(services.delete_memberships, "ids", ids=data.validated_data["ids"])
        return Response({"deleted": deleted})

    @extend_schema(
        request=s.MembershipAddSerializer, responses={201: s.LoyaltyMembershipSerializer}
    )
    def create(self, request):
        data = s.MembershipAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = self._run(services.add_memberships, "memberships", items=[data.validated_data])
        return Response(membership_rows(created)[0], status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SingleUpdateSerializer, responses=s.LoyaltyMembershipSerializer)
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        data = s.SingleUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [{**data.validated_data, "id": membership.pk}]
        changed = self._run(services.update_memberships, "memberships", items=items)
        return Response(membership_rows(changed)[0])

    def destroy(self, request, pk=None):
        membership = self.get_object()
        self._run(services.delete_memberships, "ids", ids=[membership.pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembersGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Member groups: manual, automatic (following an audience) and system (read-only)."""

    batch_actions = frozenset({"members"})
    queryset = MembersGroup.objects.all()
    serializer_class = s.MembersGroupSerializer
    filterset_fields = ("automatic", "system")
    idempotent_actions = frozenset({"create"})
    documented_error_statuses = {"members": ("409",)}

    @extend_schema(request=s.MembersGroupWriteSerializer, responses={201: s.MembersGroupSerializer})
    def create(self, request):
        data = s.MembersGroupWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        payload = dict(data.validated_data)
        group = services.create_group(
            organization=self.organization,
            data=payload,
            audience=payload.get("audience_id"),
            audience_conditions=payload.get("audience_conditions"),
        )
        group.refresh_from_db()
        return Response(s.MembersGroupSerializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MembersGroupUpdateSerializer, responses=s.MembersGroupSerializer)
    def partial_update(self, request, pk=None):
        group = self.get_object()
        data = s.MembersGroupUpdateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        payload = dict(data.validated_data)
        audience = payload.pop("audience_id", None)
        conditions = payload.pop("audience_conditions", None)
        with transaction.atomic():
            group = services.update_group(group=group, data=payload)
            if audience is not None or conditions is not None:
                group = services.change_group_source(
                    group=group, audience=audience, audience_conditions=conditions
                )
        group.refresh_from_db()
        return Response(s.MembersGroupSerializer(group).data)

    def destroy(self, request, pk=None):
        services.delete_group(group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], responses=s.GroupMemberSerializer(many=True))
    @extend_schema(
        methods=["POST", "DELETE"],
        request=s.GroupMembersSerializer,
        responses={
            200: OpenApiResponse(
                response=s.GroupMembersResultSerializer,
                description="Counts, and the identifiers that matched no customer.",
            )
        },
    )
    @action(detail=True, methods=["get", "post", "delete"])
    def members(self, request, pk=None):
        group = self.get_object()
        if request.method == "GET":
            paginator = MembersPagination()
            page = paginator.paginate_queryset(
                group.members.select_related("profile"), request, view=self
            )
            return paginator.get_paginated_response(s.GroupMemberSerializer(page, many=True).data)
        reject_oversized_batch(request.data, "identifiers", services.IDENTIFIERS_LIMIT)
        data = s.GroupMembersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call = (
            services.add_group_members
            if request.method == "POST"
            else services.remove_group_members
        )
        return Response(call(group=group, **data.validated_data))

    @csv_action(detail=True, url_path="members.csv", summary="Download the members as CSV")
    def members_csv(self, request, pk=None):
        group = self.get_object()
        return csv_response(
            exports.group_members(
                MembersGroup.objects.filter(pk=group.pk),
                filename=f"{slugify(group.name) or 'group'}-members.csv",
            )
        )


INVENTORY_SECTIONS = ("profile", "loyalty", "audiences", "groups", "memberships")


class CustomerInventoryViewSet(TenantViewSet):
    """`GET /customer-profiles/{integration_id}/inventory` (Talon.One's customer inventory)."""

    queryset = CustomerProfile.objects.all()
    serializer_class = CustomerProfileSerializer
    lookup_field = "integration_id"
    lookup_value_regex = "[^/]+"

    @extend_schema(
        parameters=[s.InventoryQuerySerializer],
        responses={200: OpenApiResponse(description="The sections asked for.")},
        summary="Everything known about a customer",
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def inventory(self, request, integration_id=None):
        profile = self.get_object()
        flags = s.InventoryQuerySerializer(data=request.query_params)
        flags.is_valid(raise_exception=True)
        wanted = {name for name in INVENTORY_SECTIONS if flags.validated_data[name]}
        body = selectors.customer_inventory(profile=profile, sections=wanted)
        if "profile" in wanted:
            body["profile"] = CustomerProfileSerializer(profile).data
        return Response(body)
