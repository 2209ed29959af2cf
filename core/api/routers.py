from rest_framework.routers import DefaultRouter, Route


class Router(DefaultRouter):
    """DefaultRouter whose list route also maps PUT to `bulk_update` (batch upserts), and which
    accepts paths with or without a trailing slash."""

    include_format_suffixes = False  # no `.json` suffix routes: integration ids may contain dots

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.trailing_slash = "/?"  # the constructor only takes a boolean
        list_route = self.routes[0]
        self.routes[0] = Route(
            url=list_route.url,
            mapping={**list_route.mapping, "put": "bulk_update"},
            name=list_route.name,
            detail=list_route.detail,
            initkwargs=list_route.initkwargs,
        )
