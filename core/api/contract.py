"""The OpenAPI schema is the list of query parameters an operation takes.

The schema is generated once per process (at startup, see `config.startup`) from the same
views, filters and serializers that serve requests. A query parameter it does not name for the
operation, or a single-valued one given twice, is a 400 naming the parameter: `?dry=true` on
an operation that has no dry run must never look like success."""

import functools
import re

from rest_framework.exceptions import ValidationError

ALWAYS_ALLOWED = frozenset({"format"})  # DRF's renderer switch (the browsable API uses it)


@functools.cache
def operations() -> tuple[tuple[re.Pattern, str, dict], ...]:
    """(path regex, METHOD, {query parameter: its schema}) for every operation."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    result = []
    for path, item in schema["paths"].items():
        # the router takes paths with and without their trailing slash
        template = re.escape(path.rstrip("/"))
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", template) + "/?$")
        for method, operation in item.items():
            query = {
                p["name"]: p.get("schema", {})
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            }
            result.append((path.count("{"), pattern, method.upper(), query))
    # literal paths first: `/loyalty-memberships/batch-add/` before `/loyalty-memberships/{id}/`
    return tuple(entry[1:] for entry in sorted(result, key=lambda entry: entry[0]))


def documented_query_parameters(path: str, method: str) -> dict | None:
    method = "GET" if method == "HEAD" else method
    for pattern, op_method, query in operations():
        if op_method == method and pattern.match(path):
            return query
    return None


def check_query_parameters(request, view) -> None:
    """400 naming each query parameter the operation's schema does not list. A list's
    FilterSet may take a family of parameters by prefix (`query_param_prefixes`, e.g.
    `attributes__<name>` on customer profiles), described in the operation's text."""
    if not request.query_params:
        return
    if getattr(view, request.method.lower(), None) is None:
        return  # a method the view does not have: DRF answers 405
    documented = documented_query_parameters(request.path, request.method)
    if documented is None:
        return  # not an operation of the schema (OPTIONS)
    prefixes = ()
    if getattr(view, "action", None) == "list":
        filterset_class = getattr(view, "filterset_class", None)
        prefixes = getattr(filterset_class, "query_param_prefixes", ())
    errors = {}
    for name in request.query_params:
        if name in ALWAYS_ALLOWED or (prefixes and name.startswith(prefixes)):
            continue
        if name not in documented:
            errors[name] = ["Unknown query parameter: this operation does not take it."]
        elif (
            documented[name].get("type") != "array" and len(request.query_params.getlist(name)) > 1
        ):
            errors[name] = ["Give this parameter once."]
    if errors:
        raise ValidationError(errors)
