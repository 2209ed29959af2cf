from django.urls import path, re_path

from core.views import api_not_found

from . import views

PREFIX = "api/connector/v1/loyaltyMemberships"

urlpatterns = [
    path(f"{PREFIX}/getAll", views.GetAllView.as_view()),
    path(f"{PREFIX}/add", views.AddView.as_view()),
    path(f"{PREFIX}/update", views.UpdateView.as_view()),
    path(f"{PREFIX}/delete", views.DeleteView.as_view()),
    re_path(r"", api_not_found),
]
