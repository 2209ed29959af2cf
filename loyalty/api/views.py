"""Loyalty programs (with their cards and ledgers), tier structures and tiers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from core.api.errors import django_validation_error_to_drf
from core.validators import is_clean_text
from customers.models import CustomerProfile
from loyalty import ledger, selectors, services
from loyalty.filters import TierFilter, TierStructureFilter
from loyalty.models import LoyaltyCard, LoyaltyProgram, Tier, TierChange, TierStructure
from organizations.api.viewsets import MAX_LOOKUP_LENGTH, TenantViewSet
from organizations.models import ApiKey
from organizations.tenancy import acting_user

from . import serializers as s

CARD = r"cards/(?P<card_identifier>[^/]+)"
PROFILE = r"profile/(?P<integration_id>[^/]+)"


def _rekey(exc: DjangoValidationError, mapping: dict) -> ValidationError:
    """A service error on model columns, named by the API fields that carry them."""
    drf = django_validation_error_to_drf(exc)
    if isinstance(drf.detail, dict):
        detail: dict = {}
        for field, messages in drf.detail.items():
            detail.setdefault(mapping.get(field, field), []).extend(messages)
        drf.detail = detail
    return drf


class LoyaltyProgramViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantViewSet,
):
    """Loyalty programs; their cards and the points ledgers of their profiles and cards."""

    queryset = LoyaltyProgram.objects.all()
    serializer_class = s.LoyaltyProgramSerializer
    filterset_fields = ("kind", "status")
    ordering_fields = ("created_at", "name")
    idempotent_actions = frozenset(
        {"create", "cards", "card_add_points", "card_deduct_points", "add_points", "deduct_points"}
    )

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

    # -- owners -------------------------------------------------------------------------------

    def _card(self, program, card_identifier) -> LoyaltyCard:
        _assert_storable(card_identifier)
        return get_object_or_404(
            LoyaltyCard.objects.prefetch_related("profiles"),
            program=program,
            identifier=card_identifier,
        )

    def _profile(self, integration_id) -> CustomerProfile:
        _assert_storable(integration_id)
        return get_object_or_404(
            CustomerProfile, organization=self.organization, integration_id=integration_id
        )

    def _owner(self, program, card_identifier=None, integration_id=None) -> dict:
        # A profile-based program has no cards, and a card-based one no profile ledgers: the
        # path names nothing that can exist, which is a 404 (saying why).
        if card_identifier is not None:
            if program.kind != LoyaltyProgram.Kind.CARD:
                raise NotFound("This is a profile-based program: it has no cards; use a profile.")
            return {"card": self._card(program, card_identifier)}
        if program.kind != LoyaltyProgram.Kind.PROFILE:
            raise NotFound("This is a card-based program: it has no profile ledgers; use a card.")
        return {"profile": self._profile(integration_id)}

    # -- cards --------------------------------------------------------------------------------

    @extend_schema(
        methods=["GET"], responses=s.LoyaltyCardSerializer(many=True), summary="List cards"
    )
    @extend_schema(
        methods=["POST"],
        request=s.LoyaltyCardSerializer,
        responses={201: s.LoyaltyCardSerializer},
        summary="Create a card",
    )
    @action(detail=True, methods=["get", "post"], url_path="cards")
    def cards(self, request, pk=None):
        program = self.get_object()
        if request.method == "POST":
            data = s.LoyaltyCardSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            card = services.create_loyalty_card(program=program, **data.validated_data)
            return Response(s.LoyaltyCardSerializer(card).data, status=status.HTTP_201_CREATED)
        cards = LoyaltyCard.objects.filter(program=program).prefetch_related("profiles")
        page = self.paginate_queryset(cards)
        return self.get_paginated_response(s.LoyaltyCardSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=s.LoyaltyCardSerializer, summary="Get a card")
    @extend_schema(
        methods=["PATCH"],
        request=s.LoyaltyCardUpdateSerializer,
        responses=s.LoyaltyCardSerializer,
        summary="Activate or deactivate a card",
    )
    @action(detail=True, methods=["get", "patch"], url_path=CARD)
    def card(self, request, pk=None, card_identifier=None):
        program = self.get_object()
        card = self._card(program, card_identifier)
        if request.method == "PATCH":
            data = s.LoyaltyCardUpdateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            card = services.update_loyalty_card(card=card, **data.validated_data)
        return Response(s.LoyaltyCardSerializer(card).data)

    @extend_schema(
        request=s.LinkProfileSerializer,
        responses={200: s.LoyaltyCardSerializer, 201: s.LoyaltyCardSerializer},
        summary="Link a customer profile to a card",
        description="Linking a profile that is already linked changes nothing (200).",
    )
    @action(detail=True, methods=["post"], url_path=f"{CARD}/link-profile")
    def link_profile(self, request, pk=None, card_identifier=None):
        program = self.get_object()
        card = self._card(program, card_identifier)
        data = s.LinkProfileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = self._profile(data.validated_data["integration_id"])
        linked = services.link_card_profile(card=card, profile=profile)
        card = self._card(program, card_identifier)
        return Response(
            s.LoyaltyCardSerializer(card).data,
            status=status.HTTP_201_CREATED if linked else status.HTTP_200_OK,
        )

    # -- ledger (shared by profile and card routes) -------------------------------------------

    def _balances(self, request, **owner_key):
        program = self.get_object()
        owner = self._owner(program, **owner_key)
        query = s.BalancesQuerySerializer(data=_query(request, "subledger_id"))
        query.is_valid(raise_exception=True)
        result = selectors.balances(
            program=program,
            at=query.validated_data.get("end_date"),
            subledger_ids=query.validated_data.get("subledger_id"),
            **owner,
        )
        return Response(s.BalancesSerializer(result).data)

    def _points(self, request, **owner_key):
        program = self.get_object()
        owner = self._owner(program, **owner_key)
        query = s.PointsQuerySerializer(data=_query(request, "subledger_id"))
        query.is_valid(raise_exception=True)
        accounts = selectors.account_queryset(
            program=program, subledger_ids=query.validated_data.get("subledger_id"), **owner
        )
        point_status = query.validated_data["status"]
        lots = selectors.points_lots(accounts=accounts, status=point_status)
        page = self.paginate_queryset(lots)
        data = s.PointsLotSerializer(page, many=True, context={"status": point_status}).data
        return self.get_paginated_response(data)

    def _transactions(self, request, **owner_key):
        program = self.get_object()
        owner = self._owner(program, **owner_key)
        query = s.TransactionsQuerySerializer(data=_query(request, "subledger_id"))
        query.is_valid(raise_exception=True)
        params = query.validated_data
        accounts = selectors.account_queryset(
            program=program, subledger_ids=params.get("subledger_id"), **owner
        )
        transactions = ledger.PointsTransaction.objects.filter(account__in=accounts).select_related(
            "account"
        )
        if "kind" in params:
            transactions = transactions.filter(kind=params["kind"])
        if "start_date" in params:
            transactions = transactions.filter(created_at__gte=params["start_date"])
        if "end_date" in params:
            transactions = transactions.filter(created_at__lte=params["end_date"])
        page = self.paginate_queryset(transactions)
        return self.get_paginated_response(s.PointsTransactionSerializer(page, many=True).data)

    def _write(self, request, service, serializer_class, **owner_key):
        program = self.get_object()
        owner = self._owner(program, **owner_key)
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        actor = ledger.Actor(
            user=acting_user(request),
            api_key=request.auth if isinstance(request.auth, ApiKey) else None,
        )
        txn = service(program=program, actor=actor, **owner, **data.validated_data)
        return Response(s.PointsTransactionSerializer(txn).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[s.BalancesQuerySerializer],
        responses=s.BalancesSerializer,
        summary="A customer's points balances",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path=f"{PROFILE}/balances")
    def balances(self, request, pk=None, integration_id=None):
        return self._balances(request, integration_id=integration_id)

    @extend_schema(
        parameters=[s.BalancesQuerySerializer],
        responses=s.BalancesSerializer,
        summary="A card's points balances",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path=f"{CARD}/balances")
    def card_balances(self, request, pk=None, card_identifier=None):
        return self._balances(request, card_identifier=card_identifier)

    @extend_schema(
        parameters=[s.PointsQuerySerializer],
        responses=s.PointsLotSerializer(many=True),
        summary="A customer's unused points",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path=f"{PROFILE}/points")
    def points(self, request, pk=None, integration_id=None):
        return self._points(request, integration_id=integration_id)

    @extend_schema(
        parameters=[s.PointsQuerySerializer],
        responses=s.PointsLotSerializer(many=True),
        summary="A card's unused points",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path=f"{CARD}/points")
    def card_points(self, request, pk=None, card_identifier=None):
        return self._points(request, card_identifier=card_identifier)

    _transaction_parameters = [s.TransactionsQuerySerializer]

    @extend_schema(
        parameters=_transaction_parameters,
        responses=s.PointsTransactionSerializer(many=True),
        summary="A customer's points transactions",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path=f"{PROFILE}/transactions")
    def transactions(self, request, pk=None, integration_id=None):
        return self._transactions(request, integration_id=integration_id)

    @extend_schema(
        parameters=_transaction_parameters,
        responses=s.PointsTransactionSerializer(many=True),
        summary="A card's points transactions",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path=f"{CARD}/transactions")
    def card_transactions(self, request, pk=None, card_identifier=None):
        return self._transactions(request, card_identifier=card_identifier)

    @extend_schema(
        request=s.AddPointsSerializer,
        responses={201: s.PointsTransactionSerializer},
        summary="Add points to a customer",
    )
    @action(detail=True, methods=["post"], url_path=f"{PROFILE}/add-points")
    def add_points(self, request, pk=None, integration_id=None):
        return self._write(
            request, ledger.earn_points, s.AddPointsSerializer, integration_id=integration_id
        )

    @extend_schema(
        request=s.DeductPointsSerializer,
        responses={201: s.PointsTransactionSerializer},
        summary="Deduct points from a customer",
        description="Takes active points, soonest-expiring first. 400 when the active balance "
        "is too low, unless the program allows a negative balance.",
    )
    @action(detail=True, methods=["post"], url_path=f"{PROFILE}/deduct-points")
    def deduct_points(self, request, pk=None, integration_id=None):
        return self._write(
            request, ledger.spend_points, s.DeductPointsSerializer, integration_id=integration_id
        )

    @extend_schema(
        request=s.AddPointsSerializer,
        responses={201: s.PointsTransactionSerializer},
        summary="Add points to a card",
    )
    @action(detail=True, methods=["post"], url_path=f"{CARD}/add-points")
    def card_add_points(self, request, pk=None, card_identifier=None):
        return self._write(
            request, ledger.earn_points, s.AddPointsSerializer, card_identifier=card_identifier
        )

    @extend_schema(
        request=s.DeductPointsSerializer,
        responses={201: s.PointsTransactionSerializer},
        summary="Deduct points from a card",
    )
    @action(detail=True, methods=["post"], url_path=f"{CARD}/deduct-points")
    def card_deduct_points(self, request, pk=None, card_identifier=None):
        return self._write(
            request, ledger.spend_points, s.DeductPointsSerializer, card_identifier=card_identifier
        )

    @extend_schema(
        responses=s.TierChangeSerializer(many=True),
        summary="A customer's tier history",
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path=f"{PROFILE}/tier-history")
    def tier_history(self, request, pk=None, integration_id=None):
        program = self.get_object()
        owner = self._owner(program, integration_id=integration_id)
        changes = TierChange.objects.filter(
            program=program, account__subledger_id="", account__profile=owner["profile"]
        )
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(s.TierChangeSerializer(page, many=True).data)


def _assert_storable(value: str) -> None:
    """No card or profile can have such a key: 404 rather than a database error."""
    if len(value) > MAX_LOOKUP_LENGTH or not is_clean_text(value):
        raise NotFound()


def _query(request, *list_params) -> dict:
    data = {key: request.query_params.get(key) for key in request.query_params}
    for key in list_params:
        if key in request.query_params:
            data[key] = request.query_params.getlist(key)
    return data


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
