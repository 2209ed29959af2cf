"""Walks every route of the partner API with another organization's key.

New routes are covered automatically: each router registration is exercised (list, every
detail route and action, every method), and a route outside the router fails this file
until it is covered here.
"""

import json

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.api_urls import router
from tests.conftest import client_for
from tests.factories import FACTORIES, ApiKeyFactory, OrganizationFactory

REGISTRY = [pytest.param(p, v, b, id=p) for p, v, b in router.registry]
TIERS = [
    {"name": "Bronze", "order": 1, "min_points": 0, "max_points": 199},
    {"name": "Gold", "order": 2, "min_points": 200},
]

# A valid body for each list-level write, naming the other organization's object where the
# route takes a reference, so the request reaches the service: (body, statuses it may answer).
# A reference to another tenant's row is "does not exist" (400); a write that names nothing of
# theirs creates the caller's own row.
LIST_WRITES = {
    "customer-profile-list": (
        lambda o: {"customer_profiles": [{"integration_id": o.integration_id, "first_name": "X"}]},
        {200},
    ),
    "loyalty-program-list": (lambda o: {"name": o.name}, {201}),
    "tier-structure-list": (
        lambda o: {
            "program": str(o.program_id),
            "name": "X",
            "type": "POINT_BALANCE",
            "tiers": TIERS,
        },
        {400},
    ),
    "tier-list": (
        lambda o: {"structure": str(o.structure_id), "name": "X", "order": 9, "min_points": 900},
        {400},
    ),
    "audience-list": (lambda o: {"name": o.name}, {201}),
    "audience-loyalty-tiers": (
        lambda o: {"group_name": "Tiers", "tiers": [{"name": "A", "order": 1, "start_value": 0}]},
        {201, 400},
    ),
    "audience-preview-rules": (
        lambda o: {"rules": [{"field": "attributes.city", "operator": "eq", "values": ["Leeds"]}]},
        {200},
    ),
    "audience-group-list": (lambda o: {"name": o.name}, {201}),
    "customer-audiences-list": (
        lambda o: {
            "data": [{"profile_integration_id": "x", "audience_id": str(o.pk), "action": "add"}]
        },
        {400},
    ),
    "loyalty-membership-list": (
        lambda o: {"program": str(o.program_id), "profile": o.profile.integration_id},
        {400},
    ),
    "loyalty-membership-batch-add": (
        lambda o: {
            "memberships": [{"program": str(o.program_id), "profile": o.profile.integration_id}]
        },
        {400},
    ),
    "loyalty-membership-batch-update": (
        lambda o: {"memberships": [{"id": str(o.pk), "code": "HIJACK"}]},
        {400},
    ),
    "loyalty-membership-batch-delete": (lambda o: {"ids": [str(o.pk)]}, {400}),
    "loyalty-membership-search": (lambda o: {"ids": [str(o.pk)]}, {200}),
    "member-group-list": (lambda o: {"name": o.name, "type": "manual"}, {201}),
    "event-list": (lambda o: {"profile": o.profile.integration_id, "type": "visit"}, {400}),
    "earning-rule-list": (
        lambda o: {
            "program": str(o.program_id),
            "name": "X",
            "trigger": "session_closed",
            "effects": [{"type": "add_points", "points": 1}],
        },
        {400},
    ),
}


@pytest.fixture(params=["other key", "portfolio key"])
def other_api(request, other_organization):
    """Another organization's key; or a portfolio key for two other organizations, acting for
    its second one (X-Organization): a key for B+C never reaches A."""
    if request.param == "other key":
        return client_for(ApiKeyFactory(organization=other_organization))
    third = OrganizationFactory(name="Third Cafe", slug="third")
    key = ApiKeyFactory(organization=other_organization, portfolio=[third])
    client = client_for(key)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.secret}", HTTP_X_ORGANIZATION="third")
    return client


def _routes(viewset, basename):
    for route in router.get_routes(viewset):
        mapping = {m: a for m, a in route.mapping.items() if hasattr(viewset, a)}
        if mapping:
            yield route.name.format(basename=basename), route.detail, mapping


def _snapshot(obj):
    return json.dumps(model_to_dict(type(obj).objects.get(pk=obj.pk)), sort_keys=True, default=str)


def _url_kwargs(name, viewset, value):
    pattern = get_resolver().reverse_dict.getlist(name)[0][0][0][1]
    lookup = viewset.lookup_url_kwarg or viewset.lookup_field
    return {kwarg: (value if kwarg == lookup else "0") for kwarg in pattern}


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "viewset", "basename"), REGISTRY)
def test_another_organizations_key_sees_and_changes_nothing(
    prefix, viewset, basename, organization, other_api
):
    model = viewset.queryset.model
    obj = FACTORIES[model](organization=organization)
    before = _snapshot(obj)
    value = str(getattr(obj, viewset.lookup_field))
    cross_tenant_upserts = getattr(viewset, "cross_tenant_upsert_actions", frozenset())

    calls = [
        (name, detail, method, action)
        for name, detail, mapping in _routes(viewset, basename)
        for method, action in mapping.items()
    ]
    # writes that create the caller's own object under the same key go last
    calls.sort(key=lambda c: (not c[1] and c[2] != "get") or c[3] in cross_tenant_upserts)
    for name, detail, method, action in calls:
        if not detail:
            if method == "get":
                response = other_api.get(reverse(name))
                assert response.status_code == 200, (name, method)
                body = (
                    b"".join(response.streaming_content)  # a CSV download
                    if response.streaming
                    else response.content
                )
                assert value not in body.decode(), (name, "leaks in list")
            else:  # list-level writes (bulk): reach the service, touch nothing of theirs
                assert name in LIST_WRITES, f"{name} needs a body in LIST_WRITES"
                body, statuses = LIST_WRITES[name]
                response = other_api.generic(
                    method.upper(), reverse(name), json.dumps(body(obj)), "application/json"
                )
                assert response.status_code in statuses, (name, response.content)
                if response.status_code == 400:  # about their row, not about the body's shape
                    codes = {error["code"] for error in response.json()["errors"]}
                    assert codes <= {"does_not_exist", "invalid"}, (name, response.content)
            continue
        url = reverse(name, kwargs=_url_kwargs(name, viewset, value))
        response = other_api.generic(method.upper(), url, "{}", "application/json")
        if action in cross_tenant_upserts:
            # creates the caller's own object with that key; the other one is untouched
            assert response.status_code in (200, 201), (url, method)
            assert response.json().get("id") != str(obj.pk)
        else:
            assert response.status_code == 404, (url, method, response.status_code)
    assert _snapshot(obj) == before, "another organization's request changed the object"


def _api_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_patterns(entry, pattern)
        elif isinstance(entry, URLPattern) and pattern.startswith("api/v1/"):
            yield pattern, entry


def test_every_api_route_is_a_router_registration():
    registered = {viewset for _, viewset, _ in router.registry}
    for pattern, entry in _api_patterns():
        view_class = getattr(entry.callback, "cls", None)
        if view_class is None or view_class.__name__ == "APIRootView":
            continue
        assert view_class in registered, f"{pattern} is not covered by the tenancy walk"
