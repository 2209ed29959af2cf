"""The member groups and loyalty memberships section of a customer's admin page
(customers.hooks.profile_page_sections)."""

from django.template.loader import render_to_string

from .models import LoyaltyMembership, MembersGroupMember

SHOWN = 50


def sections(*, profile) -> list[tuple[str, str]]:
    groups = list(
        MembersGroupMember.objects.filter(profile=profile)
        .select_related("group")
        .order_by("group__name")[:SHOWN]
    )
    memberships = list(
        LoyaltyMembership.objects.filter(profile=profile)
        .select_related("program")
        .order_by("program__name")[:SHOWN]
    )
    html = render_to_string(
        "admin/memberships/profile_section.html", {"groups": groups, "memberships": memberships}
    )
    return [("Groups and memberships", html)]
