from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class CreatedCursorPagination(CursorPagination):
    """Newest first on (created_at, id): stable under inserts, served by the
    (organization, created_at, id) index every listed model carries.

    A `page_size` that is not a whole number from 1 to `max_page_size` is a 400 naming it
    (DRF would quietly use the default instead)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_ordering(self, request, queryset, view):
        """A client's `?ordering=` keeps the id tie-breaker, so equal timestamps (rows of one
        batch) are never skipped or repeated between pages."""
        ordering = tuple(super().get_ordering(request, queryset, view))
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering += ("-id" if ordering[0].startswith("-") else "id",)
        return ordering

    def get_page_size(self, request):
        name = self.page_size_query_param
        if name not in request.query_params:
            return self.page_size
        raw = request.query_params[name]
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({name: [f"Use a whole number from 1 to {self.max_page_size:,}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
