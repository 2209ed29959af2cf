"""Talon.One's Integration API paths (as `talon_one_sdk` 26.x calls them), each on the view
that translates it; anything else under the dialect is a 404 in Talon's shape."""

from django.urls import path, re_path

from loyalty import owners

from .errors import not_found
from .views import audiences, loyalty, profiles, sessions, unsupported

PROGRAM = "loyalty_programs/<str:program_id>"
CARD = f"{PROGRAM}/cards/<str:key>"
PROFILE = f"{PROGRAM}/profile/<str:key>"
card = {"owner": owners.CARD}

urlpatterns = [
    # profiles
    path("v2/customer_profiles", profiles.CustomerProfilesView.as_view()),
    path("v2/customer_profiles/<str:integration_id>", profiles.CustomerProfileView.as_view()),
    path("v1/customer_data/<str:integration_id>", profiles.CustomerDataView.as_view()),
    path("v1/customer_profiles/<str:integration_id>/inventory", profiles.InventoryView.as_view()),
    # audiences
    path("v2/audiences", audiences.AudiencesView.as_view()),
    path("v2/audiences/<str:audience_id>", audiences.AudienceView.as_view()),
    path(
        "v2/audiences/<str:audience_id>/memberships",
        audiences.AudienceMembershipsView.as_view(),
    ),
    path("v2/customer_audiences", audiences.CustomerAudiencesView.as_view()),
    path(
        "v2/audience_customers/<str:audience_id>/attributes",
        audiences.AudienceAttributesView.as_view(),
    ),
    # loyalty
    path(f"v1/{PROFILE}/balances", loyalty.BalancesView.as_view()),
    path(f"v1/{CARD}/balances", loyalty.BalancesView.as_view(**card)),
    path(f"v1/{PROFILE}/points", loyalty.PointsView.as_view()),
    path(f"v1/{CARD}/points", loyalty.PointsView.as_view(**card)),
    path(f"v1/{PROFILE}/transactions", loyalty.TransactionsView.as_view()),
    path(f"v1/{CARD}/transactions", loyalty.TransactionsView.as_view(**card)),
    path(f"v2/{CARD}/link_profile", loyalty.CardProfileView.as_view()),
    path(f"v2/{CARD}/unlink_profile", loyalty.CardUnlinkView.as_view()),
    # sessions and events
    path("v2/customer_sessions/<str:session_id>", sessions.SessionView.as_view()),
    path("v2/customer_sessions/<str:session_id>/reopen", sessions.ReopenView.as_view()),
    path("v2/customer_sessions/<str:session_id>/returns", sessions.ReturnsView.as_view()),
    path("v2/events", sessions.EventsView.as_view()),
    # with their own issue: 501
    re_path(r"^v1/coupon_reservations/", unsupported.NotYetView.as_view()),
    path("v1/referrals", unsupported.NotYetView.as_view()),
    path("v1/referrals_for_multiple_advocates", unsupported.NotYetView.as_view()),
    re_path(r"^v1/catalogs/[^/]+/sync$", unsupported.NotYetView.as_view()),
    re_path(r"", not_found),
]
