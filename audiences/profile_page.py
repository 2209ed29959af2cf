"""The audiences section of a customer's admin page (customers.hooks.profile_page_sections)."""

from django.template.loader import render_to_string

from .models import AudienceMembership

SHOWN = 50


def sections(*, profile) -> list[tuple[str, str]]:
    memberships = list(
        AudienceMembership.objects.filter(profile=profile)
        .select_related("audience")
        .order_by("audience__name")[:SHOWN]
    )
    html = render_to_string("admin/audiences/profile_section.html", {"memberships": memberships})
    return [("Audiences", html)]
