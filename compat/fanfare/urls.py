from django.urls import path, re_path

from core.views import api_not_found

from .views import LoyaltyTiersView

urlpatterns = [
    path("api/audiences/loyalty-tiers", LoyaltyTiersView.as_view()),
    re_path(r"", api_not_found),
]
