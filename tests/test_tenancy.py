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
from tests.factories import FACTORIES

REGISTRY = [pytest.param(p, v, b, id=p) for p, v, b in router.registry]


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

    for name, detail, mapping in _routes(viewset, basename):
        # upserts last: they create the caller's own object under the same key
        for method, action in sorted(mapping.items(), key=lambda m: m[1] in cross_tenant_upserts):
            if not detail:
                if method == "get":
                    response = other_api.get(reverse(name))
                    assert response.status_code == 200, (name, method)
                    assert value not in response.content.decode(), (name, "leaks in list")
                else:  # list-level writes (bulk): must not fail or touch the other object
                    response = other_api.generic(
                        method.upper(), reverse(name), "{}", "application/json"
                    )
                    assert response.status_code < 500, (name, method)
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
