"""The points ledger of a program's profile or card: balances, unused points, transactions,
add and deduct points, and a customer's tier history.

One viewset, written once and made for each mount (`ledger_viewset(mount)`): the routes, the
checks and the answers are the same under `profiles/{integration_id}/` and
`cards/{card_identifier}/`; only the schema's wording and the OPTIONS names follow the owner.
The profile's ledger is made once more for its deprecated singular path
`profile/{integration_id}/` (`DeprecatedProfileLedgerViewSet`, one release): the same code
answers, and its schema marks each operation deprecated. All are registered under
`loyalty-programs` (`loyalty.api.routing.program_routes`).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.serializers import query_data
from loyalty import ledger, owners, selectors
from loyalty.api.serializers import ledger as s
from loyalty.models import TierChange
from organizations.tenancy import request_actor

from .owners import (
    CARD,
    DEPRECATED_PROFILE,
    PROFILE,
    DeprecatedMountSchema,
    OwnerMount,
    ProgramOwnerViewSet,
)

DEDUCT_DESCRIPTION = (
    "Takes active points, soonest-expiring first. 400 when the active balance is too low, "
    "unless the program allows a negative balance."
)


def ledger_viewset(mount: OwnerMount) -> type[ProgramOwnerViewSet]:
    """The ledger viewset of `mount`: its routes are `mount.path(…)`."""
    name, path = mount.action_name, mount.path
    of_profiles = mount.owner is owners.PROFILE

    class LedgerViewSet(ProgramOwnerViewSet):
        """Loyalty programs; their cards and the points ledgers of their profiles and cards."""

        idempotent_actions = frozenset({"add_points", "deduct_points"})
        owner_mount = mount
        if mount.replaced_by is not None:
            schema = DeprecatedMountSchema()

        def _params(self, serializer_class):
            query = serializer_class(data=query_data(self.request, "subledger_id"))
            query.is_valid(raise_exception=True)
            return query.validated_data

        def _write(self, request, service, serializer_class):
            program, owner = self.get_ledger(mount)
            data = serializer_class(data=request.data)
            data.is_valid(raise_exception=True)
            txn = service(
                program=program, actor=request_actor(request), **owner, **data.validated_data
            )
            return Response(s.PointsTransactionSerializer(txn).data, status=status.HTTP_201_CREATED)

        @extend_schema(
            parameters=[s.BalancesQuerySerializer],
            responses=s.BalancesSerializer,
            summary=f"{mount.whose} points balances",
            filters=False,
        )
        @action(detail=True, methods=["get"], url_path=path("balances"), name=name("balances"))
        def balances(self, request, **kwargs):
            program, owner = self.get_ledger(mount)
            params = self._params(s.BalancesQuerySerializer)
            result = selectors.balances(
                program=program,
                at=params.get("end_date"),
                subledger_ids=params.get("subledger_id"),
                **owner,
            )
            return Response(s.BalancesSerializer(result).data)

        @extend_schema(
            parameters=[s.PointsQuerySerializer],
            responses=s.PointsLotSerializer(many=True),
            summary=f"{mount.whose} unused points",
            filters=False,
        )
        @action(detail=True, methods=["get"], url_path=path("points"), name=name("points"))
        def points(self, request, **kwargs):
            program, owner = self.get_ledger(mount)
            params = self._params(s.PointsQuerySerializer)
            accounts = selectors.account_queryset(
                program=program, subledger_ids=params.get("subledger_id"), **owner
            )
            point_status = params["status"]
            lots = selectors.points_lots(accounts=accounts, status=point_status)
            page = self.paginate_queryset(lots)
            data = s.PointsLotSerializer(page, many=True, context={"status": point_status}).data
            return self.get_paginated_response(data)

        @extend_schema(
            parameters=[s.TransactionsQuerySerializer],
            responses=s.PointsTransactionSerializer(many=True),
            summary=f"{mount.whose} points transactions",
            filters=False,
        )
        @action(
            detail=True,
            methods=["get"],
            url_path=path("transactions"),
            name=name("transactions"),
        )
        def transactions(self, request, **kwargs):
            program, owner = self.get_ledger(mount)
            params = self._params(s.TransactionsQuerySerializer)
            accounts = selectors.account_queryset(
                program=program, subledger_ids=params.get("subledger_id"), **owner
            )
            transactions = selectors.transactions(
                accounts=accounts,
                kind=params.get("kind"),
                start=params.get("start_date"),
                end=params.get("end_date"),
            )
            page = self.paginate_queryset(transactions)
            return self.get_paginated_response(s.PointsTransactionSerializer(page, many=True).data)

        @extend_schema(
            request=s.AddPointsSerializer,
            responses={201: s.PointsTransactionSerializer},
            summary=f"Add points to {mount.whom}",
        )
        @action(detail=True, methods=["post"], url_path=path("add-points"), name=name("add_points"))
        def add_points(self, request, **kwargs):
            return self._write(request, ledger.earn_points, s.AddPointsSerializer)

        @extend_schema(
            request=s.DeductPointsSerializer,
            responses={201: s.PointsTransactionSerializer},
            summary=f"Deduct points from {mount.whom}",
            # (the card route has never carried this text in the schema)
            description=DEDUCT_DESCRIPTION if of_profiles else None,
        )
        @action(
            detail=True,
            methods=["post"],
            url_path=path("deduct-points"),
            name=name("deduct_points"),
        )
        def deduct_points(self, request, **kwargs):
            return self._write(request, ledger.spend_points, s.DeductPointsSerializer)

        if of_profiles:  # cards have no tier history route

            @extend_schema(
                responses=s.TierChangeSerializer(many=True),
                summary=f"{mount.whose} tier history",
                filters=False,
            )
            @action(detail=True, methods=["get"], url_path=path("tier-history"))
            def tier_history(self, request, **kwargs):
                program, owner = self.get_ledger(mount)
                changes = TierChange.objects.filter(
                    program=program, account__subledger_id="", account__profile=owner["profile"]
                )
                page = self.paginate_queryset(changes)
                return self.get_paginated_response(s.TierChangeSerializer(page, many=True).data)

    class_name = f"{mount.owner.name.title()}LedgerViewSet"
    if mount.replaced_by is not None:
        class_name = f"Deprecated{class_name}"
    LedgerViewSet.__name__ = LedgerViewSet.__qualname__ = class_name
    return LedgerViewSet


ProfileLedgerViewSet = ledger_viewset(PROFILE)
CardLedgerViewSet = ledger_viewset(CARD)
DeprecatedProfileLedgerViewSet = ledger_viewset(DEPRECATED_PROFILE)
