"""What the audiences admin pages share."""

from django.urls import path


class ExtraViewsMixin:
    """Pages of a model admin beside Django's own. `extra_views` lists (route, name of the view
    method, URL name); each view is wrapped by the admin site's `admin_view` (staff login,
    CSRF, no caching), and its URL comes before the model's own."""

    extra_views: tuple[tuple[str, str, str], ...] = ()

    def get_urls(self):
        return [
            *(
                path(route, self.admin_site.admin_view(getattr(self, view)), name=name)
                for route, view, name in self.extra_views
            ),
            *super().get_urls(),
        ]
