"""The admin site of the back-office: its index is the loyalty dashboard of one of the user's
organizations (a picker when there are several)."""

from django.contrib import admin

from core import charts
from organizations.models import Organization
from organizations.tenancy import user_roles

from . import figures

ORGANIZATION_PARAM = "organization"


class BackOfficeSite(admin.AdminSite):
    site_header = "Loyalty back-office"
    site_title = "Loyalty back-office"
    index_title = "Dashboard"
    index_template = "admin/dashboard/index.html"

    def index(self, request, extra_context=None):
        organizations = self.dashboard_organizations(request.user)
        slug = request.GET.get(ORGANIZATION_PARAM, "")
        organization = next((o for o in organizations if o.slug == slug), None) or next(
            iter(organizations), None
        )
        context = {"organizations": organizations, "organization": organization}
        if organization is not None:
            context["dashboard"] = dashboard(organization)
        return super().index(request, {**context, **(extra_context or {})})

    @staticmethod
    def dashboard_organizations(user) -> list[Organization]:
        organizations = Organization.objects.order_by("name")
        if not user.is_superuser:
            organizations = organizations.filter(pk__in=list(user_roles(user)))
        return list(organizations)


def dashboard(organization) -> dict:
    days = figures.points_per_day(organization)
    return {
        "tiers": [
            charts.bar_chart(program.program, program.tiers)
            for program in figures.members_per_tier(organization)
        ],
        "points": charts.line_chart(
            f"Points per day, last {figures.POINTS_DAYS} days (UTC)",
            days,
            [
                ("issued", "Issued", "issued"),
                ("redeemed", "Redeemed", "redeemed"),
                ("expired", "Expired", "expired"),
            ],
        ),
        "audiences": figures.largest_audiences(organization),
        "imports": figures.running_imports(organization),
        "tier_changes": figures.tier_changes(organization),
        "tier_change_days": figures.TIER_CHANGE_DAYS,
        "trend_days": figures.TREND_DAYS,
    }
