from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.views import api_not_found, healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls")),
    path("healthz", healthz, name="healthz"),
    # Talon.One's Integration API, for shops that run its SDK (compat/talon_one)
    path("compat/talon-one/", include("compat.talon_one.urls")),
    # Fanfare's audience API (compat/fanfare)
    path("compat/fanfare/", include("compat.fanfare.urls")),
    # Mews Connector's loyalty memberships (compat/mews)
    path("compat/mews/", include("compat.mews.urls")),
    # Voucherify's tier structures (compat/voucherify)
    path("compat/voucherify/", include("compat.voucherify.urls")),
    # Any other path under /api/ is a 404 in the API's error shape, with DEBUG on or off.
    re_path(r"^api/", api_not_found),
]

# API paths answer errors in the API's JSON shape, even when no route matches (core.views).
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
