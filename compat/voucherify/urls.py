from django.urls import path, re_path

from core.views import api_not_found

from . import views

urlpatterns = [
    path("v2/loyalties/tier-structures", views.TierStructuresView.as_view()),
    path("v2/loyalties/tier-structures/<str:structure_id>", views.TierStructureView.as_view()),
    re_path(r"", api_not_found),
]
