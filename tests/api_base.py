"""A generic API test case, NetBox-style: each router registration describes itself once as an
`Endpoint` (how to make its rows, a valid create and update body, its query budget), and the
tests in tests/test_api_endpoints.py run the same checks over all of them:

- without a key: 401 in the API's error shape, on every route of the registration;
- a read-only key: 403 on every write route, and reads still work;
- the list: paginated, the same number of queries with 1 row and with 100, within its budget;
- create → retrieve → update → delete, through the API, with the statuses a client expects;
- another organization's key: 404 on the row (tests/test_tenancy.py walks every route too).

A new registration without an `Endpoint` here fails `test_every_router_registration_has_an_
endpoint`, so it cannot be forgotten.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from audiences import services as audience_services
from audiences.models import AudienceRefresh
from config.api_urls import router
from loyalty import ledger
from loyalty.models import LoyaltyProgram, PointsAccount, TierChange, TierStructure
from tests import factories as f

BRONZE_SILVER_GOLD = [
    {"name": "Bronze", "order": 1, "min_points": 0, "max_points": 199},
    {"name": "Silver", "order": 2, "min_points": 200, "max_points": 599},
    {"name": "Gold", "order": 3, "min_points": 600},
]


@dataclass(frozen=True)
class Endpoint:
    basename: str
    # n rows of `organization` that the list shows (None: the registration has no list)
    make: Callable[[Any, int], list] | None = None
    # a valid create body for `organization` (None: no create route)
    create: Callable[[Any], dict] | None = None
    # a valid update body for a row (PATCH; None: no update route)
    update: Callable[[Any], dict] | None = None
    # the list's query budget with any number of rows (auth, count-free pagination, prefetches)
    list_queries: int = 6
    # a soft delete keeps the row readable with this (field, value); None: gone (404)
    deleted_as: tuple[str, str] | None = None

    @property
    def viewset(self):
        return next(v for _, v, b in router.registry if b == self.basename)

    @property
    def page_size_parameter(self) -> str:
        return self.viewset.pagination_class.page_size_query_param

    def list_url(self) -> str:
        return reverse(f"{self.basename}-list")

    def detail_url(self, obj) -> str:
        viewset = self.viewset
        return reverse(
            f"{self.basename}-detail",
            kwargs={
                viewset.lookup_url_kwarg or viewset.lookup_field: getattr(obj, viewset.lookup_field)
            },
        )

    def routes(self):
        """(url name, detail?, {method: action}) for each route of the registration."""
        viewset = self.viewset
        for route in router.get_routes(viewset):
            mapping = {m: a for m, a in route.mapping.items() if hasattr(viewset, a)}
            if mapping:
                yield route.name.format(basename=self.basename), route.detail, mapping


def _profiles(organization, n):
    return f.CustomerProfileFactory.create_batch(n, organization=organization)


def _programs(organization, n):
    return f.LoyaltyProgramFactory.create_batch(n, organization=organization)


def _structures(organization, n):
    program = f.LoyaltyProgramFactory(organization=organization)
    return [f.TierStructureFactory(organization=organization, program=program) for _ in range(n)]


def _tiers(organization, n):
    structure = f.TierStructureFactory(organization=organization)
    return [
        f.TierFactory(
            organization=organization,
            structure=structure,
            order=i + 1,
            min_points=i * 10,
            max_points=i * 10 + 9,
        )
        for i in range(n)
    ]


def _audiences(organization, n):
    return f.AudienceFactory.create_batch(n, organization=organization)


def _audience_groups(organization, n):
    return f.AudienceGroupFactory.create_batch(n, organization=organization)


def _imports(organization, n):
    audience = f.AudienceFactory(organization=organization)
    return f.AudienceImportFactory.create_batch(n, organization=organization, audience=audience)


def _memberships(organization, n):
    program = f.LoyaltyProgramFactory(organization=organization)
    return f.LoyaltyMembershipFactory.create_batch(n, organization=organization, program=program)


def _member_groups(organization, n):
    return f.MembersGroupFactory.create_batch(n, organization=organization)


def _sessions(organization, n):
    return f.CustomerSessionFactory.create_batch(n, organization=organization)


def _earning_rules(organization, n):
    program = f.LoyaltyProgramFactory(organization=organization)
    return f.EarningRuleFactory.create_batch(n, organization=organization, program=program)


def _program_of(organization):
    return LoyaltyProgram.objects.filter(organization=organization).first() or (
        f.LoyaltyProgramFactory(organization=organization)
    )


def _draft_structure_of(organization):
    structure = TierStructure.objects.filter(organization=organization).first()
    return structure or f.TierStructureFactory(organization=organization)


ENDPOINTS = [
    Endpoint(
        "customer-profile",
        make=_profiles,
        update=lambda obj: {"first_name": "Renamed"},
    ),
    Endpoint("customer-data"),
    Endpoint(
        "loyalty-program",
        make=_programs,
        create=lambda org: {"name": "Coffee club"},
        update=lambda obj: {"name": "Coffee club, renamed"},
    ),
    # nested under a program (loyalty/api/routing.py): lists of cards and ledgers are checked in
    # NESTED_LISTS below, by URL
    Endpoint("loyalty-card"),
    Endpoint("loyalty-profile-ledger"),
    Endpoint("loyalty-card-ledger"),
    Endpoint("loyalty-profile-ledger-deprecated"),  # the old profile/{integration_id}/ path
    Endpoint(
        "tier-structure",
        make=_structures,
        create=lambda org: {
            "program": str(_program_of(org).pk),
            "name": "Coffee tiers",
            "type": "POINT_BALANCE",
            "tiers": BRONZE_SILVER_GOLD,
        },
        update=lambda obj: {"name": "Coffee tiers, renamed"},
        list_queries=7,
        deleted_as=("status", "DELETED"),
    ),
    Endpoint(
        "tier",
        make=_tiers,
        create=lambda org: {
            "structure": str(_draft_structure_of(org).pk),
            "name": "Platinum",
            "order": 1,
            "min_points": 0,
        },
        update=lambda obj: {"name": "Renamed"},
    ),
    Endpoint(
        "audience",
        make=_audiences,
        create=lambda org: {
            "name": "Leeds",
            "rules": [{"field": "attributes.city", "operator": "eq", "values": ["Leeds"]}],
        },
        update=lambda obj: {"name": "Leeds, renamed"},
        list_queries=8,
    ),
    Endpoint(
        "audience-group",
        make=_audience_groups,
        create=lambda org: {"name": "Seasonal"},
        update=lambda obj: {"name": "Seasonal, renamed"},
    ),
    Endpoint("customer-audiences"),
    Endpoint("audience-import", make=_imports),
    Endpoint(
        "loyalty-membership",
        make=_memberships,
        create=lambda org: {
            "program": str(_program_of(org).pk),
            "profile": f.CustomerProfileFactory(organization=org).integration_id,
        },
        update=lambda obj: {"code": "M-42"},
        list_queries=8,
        deleted_as=("activity_state", "deleted"),
    ),
    Endpoint(
        "member-group",
        make=_member_groups,
        create=lambda org: {"name": "VIP", "type": "manual"},
        update=lambda obj: {"name": "VIP, renamed"},
    ),
    Endpoint("customer-inventory"),
    Endpoint("customer-session", make=_sessions, list_queries=5),
    Endpoint("event"),
    Endpoint(
        "earning-rule",
        make=_earning_rules,
        create=lambda org: {
            "program": str(_program_of(org).pk),
            "name": "1 point per 1.00",
            "trigger": "session_closed",
            "effects": [{"type": "points_per_amount", "points": 1, "per": "1.00"}],
        },
        update=lambda obj: {"name": "Renamed", "priority": 5},
    ),
]

BY_BASENAME = {endpoint.basename: endpoint for endpoint in ENDPOINTS}


# -- lists nested under a row: detail routes that answer a page --------------------------------


@dataclass(frozen=True)
class NestedList:
    name: str
    # (organization, n, state) -> the list's URL, after adding n rows to the same parent
    # (`state` is a dict kept between the calls of one test)
    grow: Callable[[Any, int, dict], str]
    queries: int = 8


def _audience(organization, state):
    if "audience" not in state:
        state["audience"] = f.AudienceFactory(organization=organization)
    return state["audience"]


def _audience_members(organization, n, state):
    audience = _audience(organization, state)
    profiles = _profiles(organization, n)
    audience_services.add_members(
        audience=audience, integration_ids=[p.integration_id for p in profiles]
    )
    return f"/api/v1/audiences/{audience.pk}/members"


def _audience_refreshes(organization, n, state):
    audience = _audience(organization, state)
    AudienceRefresh.objects.bulk_create(
        AudienceRefresh(audience=audience, status=AudienceRefresh.Status.COMPLETED)
        for _ in range(n)
    )
    return f"/api/v1/audiences/{audience.pk}/refreshes"


def _program_cards(organization, n, state):
    if "program" not in state:
        state["program"] = f.LoyaltyProgramFactory(
            organization=organization, kind=LoyaltyProgram.Kind.CARD
        )
    program = state["program"]
    f.LoyaltyCardFactory.create_batch(n, organization=organization, program=program)
    return f"/api/v1/loyalty-programs/{program.pk}/cards"


def _earns(organization, n, state):
    if "program" not in state:
        state["program"] = f.LoyaltyProgramFactory(organization=organization)
        state["profile"] = f.CustomerProfileFactory(organization=organization)
    program, profile = state["program"], state["profile"]
    for _ in range(n):
        ledger.earn_points(program=program, profile=profile, amount=10)
    return program, profile


def _profile_transactions(organization, n, state):
    program, profile = _earns(organization, n, state)
    return f"/api/v1/loyalty-programs/{program.pk}/profiles/{profile.integration_id}/transactions"


def _profile_points(organization, n, state):
    program, profile = _earns(organization, n, state)
    return f"/api/v1/loyalty-programs/{program.pk}/profiles/{profile.integration_id}/points"


def _card_earns(organization, n, state):
    if "card" not in state:
        state["card"] = f.LoyaltyCardFactory(organization=organization)
    card = state["card"]
    for _ in range(n):
        ledger.earn_points(program=card.program, card=card, amount=10)
    return f"/api/v1/loyalty-programs/{card.program.pk}/cards/{card.identifier}"


def _card_transactions(organization, n, state):
    return f"{_card_earns(organization, n, state)}/transactions"


def _card_points(organization, n, state):
    return f"{_card_earns(organization, n, state)}/points"


def _tier_history(organization, n, state):
    program, profile = _earns(organization, 1, state)
    structure = state.setdefault(
        "structure", f.TierStructureFactory(organization=organization, program=program)
    )
    account = PointsAccount.objects.get(program=program, profile=profile, subledger_id="")
    TierChange.objects.bulk_create(
        TierChange(
            organization=organization,
            program=program,
            structure=structure,
            account=account,
            to_tier_name="Gold",
            reason=TierChange.Reason.UPGRADE,
            points=10,
        )
        for _ in range(n)
    )
    return f"/api/v1/loyalty-programs/{program.pk}/profiles/{profile.integration_id}/tier-history"


NESTED_LISTS = [
    NestedList("audience members", _audience_members),
    NestedList("audience refreshes", _audience_refreshes),
    NestedList("program cards", _program_cards),
    NestedList("profile transactions", _profile_transactions),
    NestedList("profile points", _profile_points),
    NestedList("card transactions", _card_transactions),
    NestedList("card points", _card_points),
    NestedList("profile tier history", _tier_history),
]
