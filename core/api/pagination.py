from rest_framework.pagination import CursorPagination


class CreatedCursorPagination(CursorPagination):
    """Newest first on (created_at, id): stable under inserts, served by the
    (organization, created_at, id) index every listed model carries."""

    ordering = ("-created_at", "-id")

    def get_ordering(self, request, queryset, view):
        """A client's `?ordering=` keeps the id tie-breaker, so equal timestamps (rows of one
        batch) are never skipped or repeated between pages."""
        ordering = tuple(super().get_ordering(request, queryset, view))
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering += ("-id" if ordering[0].startswith("-") else "id",)
        return ordering

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
