"""Audience groups, and the form that creates one group of loyalty-tier audiences."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from audiences import services
from audiences.models import AudienceGroup
from core.errors import ConflictError
from loyalty.ledger import MAX_AMOUNT as MAX_POINTS
from loyalty.models import LoyaltyProgram
from organizations.admin_base import TenantAdmin, writable_organizations
from organizations.tenancy import Actor

from .base import ExtraViewsMixin


class TierAudiencesForm(forms.Form):
    group_name = forms.CharField(max_length=200)
    program = forms.ModelChoiceField(queryset=LoyaltyProgram.objects.none())
    tiers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text="One tier per line: name, start points, end points (empty for no limit), "
        "icon (optional). Orders follow the lines. E.g. “Silver, 100, 499, star”.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = LoyaltyProgram.objects.filter(
            organization__in=writable_organizations(user), kind=LoyaltyProgram.Kind.PROFILE
        )

    def clean_tiers(self):
        tiers = []
        for number, line in enumerate(self.cleaned_data["tiers"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 2:
                raise ValidationError(f"Line {number}: write “name, start, end, icon”.")
            try:
                start = int(parts[1])
                end = int(parts[2]) if len(parts) > 2 and parts[2] else None
            except ValueError:
                raise ValidationError(f"Line {number}: start and end are whole numbers.") from None
            if not 0 <= start <= MAX_POINTS or (end is not None and not 0 <= end <= MAX_POINTS):
                raise ValidationError(f"Line {number}: points go from 0 to {MAX_POINTS:,}.")
            tiers.append(
                {
                    "name": parts[0],
                    "order": len(tiers) + 1,
                    "start_value": start,
                    "end_value": end,
                    "icon_name": parts[3] if len(parts) > 3 else "",
                }
            )
        if not tiers:
            raise ValidationError("Write at least one tier.")
        return tiers


@admin.register(AudienceGroup)
class AudienceGroupAdmin(ExtraViewsMixin, TenantAdmin):
    list_display = ("name", "type", "audience_count", "created_at")
    search_fields = ("name",)
    change_list_template = "admin/audiences/audiencegroup/change_list.html"
    extra_views = (
        ("loyalty-tiers/", "loyalty_tiers_view", "audiences_audiencegroup_loyalty_tiers"),
    )

    def get_queryset(self, request):
        # counted in the list's one query, not one query per row
        return super().get_queryset(request).annotate(audience_count=Count("audiences"))

    @admin.display(description="audiences", ordering="audience_count")
    def audience_count(self, obj):
        return obj.audience_count

    def loyalty_tiers_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TierAudiencesForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            program = form.cleaned_data["program"]
            try:
                group, audiences = services.create_tier_audiences(
                    organization=program.organization,
                    group_name=form.cleaned_data["group_name"],
                    program=program,
                    tiers=form.cleaned_data["tiers"],
                    actor=Actor(user=request.user),
                )
            except (ValidationError, ConflictError) as exc:
                messages_ = exc.messages if isinstance(exc, ValidationError) else [exc.message]
                for message in messages_:
                    form.add_error("tiers", message)
            else:
                messages.success(
                    request, f"Created {len(audiences)} audiences in group “{group.name}”."
                )
                return redirect(reverse("admin:audiences_audience_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Create loyalty tier audiences",
            "form": form,
        }
        return TemplateResponse(request, "admin/audiences/loyalty_tiers.html", context)
