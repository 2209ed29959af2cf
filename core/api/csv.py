"""API endpoints that answer a streamed CSV download (core.csv_export): `GET …/members.csv`.

Errors stay JSON, as everywhere in the API: the request's Accept header (`text/csv`, `*/*`,
`application/json`) picks no renderer here, since the file is written by the view itself."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation

from core.csv_export import CHUNK_ROWS, FORMULA_STARTS

CSV_DESCRIPTION = (
    "A CSV file (UTF-8, header row first), streamed. Text cells that begin with "
    f"{', '.join(repr(c) for c in FORMULA_STARTS)} start with an extra `'`, so a spreadsheet "
    f"shows them as text instead of running them (OWASP CSV injection). Rows are read "
    f"{CHUNK_ROWS:,} at a time, so a file of any size costs the server the same memory."
)


class JsonErrorsNegotiation(BaseContentNegotiation):
    """Whatever the client accepts, errors render as JSON (the view's first renderer)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def csv_action(*, detail: bool, url_path: str, summary: str, parameters=(), filtered=False):
    """A GET `@action` whose method returns `core.csv_export.csv_response(...)`.

    `filtered`: it takes the list's filters (the view lists the action in
    `filtered_actions`, so the schema documents them)."""

    def decorate(method):
        method = action(
            detail=detail,
            methods=["get"],
            url_path=url_path,
            url_name=method.__name__.replace("_", "-"),
            content_negotiation_class=JsonErrorsNegotiation,
            pagination_class=None,
        )(method)
        return extend_schema(
            summary=summary,
            parameters=list(parameters),
            responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, CSV_DESCRIPTION)},
            filters=filtered,
        )(method)

    return decorate
