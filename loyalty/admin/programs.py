"""Loyalty programs in the admin: every write through `loyalty.services` (a program with points
is archived, not deleted), a card-based program's cards inline, and a link to its points page.

Extension point: apps above loyalty (which it must not import) add to a program's page here.

- `register_program_inline(SomeInline)`: an inline on an existing program's page (after the
  cards). The page saves it with `formset.save()`, so give the inline a formset whose `save()`
  goes through your services (and whose forms' `clean()` runs their validation).
- `register_program_tool(ProgramTool(slug=..., label=..., view=...))`: a page at
  `<program id>/tools/<slug>/` (URL name `admin:loyalty_loyaltyprogram_tool`, args
  `[program.pk, slug]`; `program_tool_url()` builds it) and a button for it on the program's
  page. The view is called as `view(model_admin, request, program)` once the program has been
  found in the admin's tenant-scoped queryset (404 otherwise) and the user may view it; a view
  that writes checks `model_admin.has_change_permission(request, program)` itself.

Both registries are read on each request, so registering from an admin module (imported by
autodiscover) or from `AppConfig.ready()` works; registering twice is harmless.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.errors import ConflictError
from loyalty import services
from loyalty.models import LoyaltyCard, LoyaltyProgram
from organizations.admin_base import TenantAdmin, TenantInlinePermissions

from .points import ProgramPointsMixin


@dataclass(frozen=True)
class ProgramTool:
    """A page of a program added by a higher app (see the module docstring)."""

    slug: str  # the URL's last part: <program id>/tools/<slug>/
    label: str  # the button on the program's page
    view: Callable[[admin.ModelAdmin, HttpRequest, LoyaltyProgram], HttpResponse]


PROGRAM_INLINES: list[type[admin.options.InlineModelAdmin]] = []
PROGRAM_TOOLS: dict[str, ProgramTool] = {}


def register_program_inline(inline: type[admin.options.InlineModelAdmin]):
    """Add an inline to every existing program's page; returns it (usable as a decorator)."""
    if inline not in PROGRAM_INLINES:
        PROGRAM_INLINES.append(inline)
    return inline


def register_program_tool(tool: ProgramTool) -> ProgramTool:
    """Add a page (and its button) to every program; a tool of the same slug is replaced."""
    PROGRAM_TOOLS[tool.slug] = tool
    return tool


def program_tool_url(program: LoyaltyProgram, slug: str) -> str:
    return reverse("admin:loyalty_loyaltyprogram_tool", args=[program.pk, slug])


class LoyaltyCardInline(TenantInlinePermissions, admin.TabularInline):
    model = LoyaltyCard
    fields = ("identifier", "status", "linked_profiles")
    readonly_fields = ("linked_profiles",)
    extra = 0
    show_change_link = False

    @admin.display(description="linked profiles")
    def linked_profiles(self, obj):
        return ", ".join(p.integration_id for p in obj.profiles.all()) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("profiles")

    def has_add_permission(self, request, obj=None):
        return (
            obj is not None
            and obj.kind == LoyaltyProgram.Kind.CARD
            and (self.has_change_permission(request, obj))
        )


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(ProgramPointsMixin, TenantAdmin):
    list_display = ("name", "number", "kind", "status", "points_validity_days", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    readonly_fields = ("points_tools", "number", "created_at", "updated_at")
    inlines = (LoyaltyCardInline,)
    fieldsets = (
        (None, {"fields": ("organization", "name", "description", "kind", "status")}),
        (
            "Points",
            {
                "fields": (
                    "points_validity_days",
                    "pending_days",
                    "allow_negative_balance",
                    "subledgers_allowed",
                    "timezone",
                    "points_tools",
                )
            },
        ),
        ("History", {"fields": ("number", "created_at", "updated_at")}),
    )

    def get_inlines(self, request, obj):
        if obj is None:
            return ()
        cards = self.inlines if obj.kind == LoyaltyProgram.Kind.CARD else ()
        return (*cards, *PROGRAM_INLINES)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not PROGRAM_TOOLS:
            return fieldsets
        return (*fieldsets, ("More tools", {"fields": ("more_tools",)}))

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "more_tools")

    def get_urls(self):
        return [
            path(
                "<uuid:program_id>/tools/<slug:slug>/",
                self.admin_site.admin_view(self.tool_view),
                name="loyalty_loyaltyprogram_tool",
            ),
            *super().get_urls(),
        ]

    def tool_view(self, request, program_id, slug):
        tool = PROGRAM_TOOLS.get(slug)
        if tool is None:
            raise Http404("No such program tool.")
        program = get_object_or_404(self.get_queryset(request), pk=program_id)
        if not self.has_view_permission(request, program):
            raise PermissionDenied
        return tool.view(self, request, program)

    @admin.display(description="balances and adjustments")
    def points_tools(self, obj):
        if obj is None or obj.pk is None:
            return "Save the program first."
        url = reverse("admin:loyalty_loyaltyprogram_points", args=[obj.pk])
        return format_html('<a class="button" href="{}">Look up balances / adjust points</a>', url)

    @admin.display(description="tools")
    def more_tools(self, obj):
        if obj is None or obj.pk is None:
            return "Save the program first."
        return format_html_join(
            " ",
            '<a class="button" href="{}">{}</a>',
            ((program_tool_url(obj, t.slug), t.label) for t in PROGRAM_TOOLS.values()),
        )

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.PROGRAM_FIELDS if f in form.cleaned_data}
        if change:
            saved = services.update_loyalty_program(
                program=LoyaltyProgram.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.create_loyalty_program(
                organization=form.cleaned_data["organization"], data=data
            )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        self.delete_queryset(request, LoyaltyProgram.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Through the service: a program with points is kept (archive it instead)."""
        for program in queryset:
            try:
                services.delete_loyalty_program(program=program)
            except ConflictError as exc:
                self.message_user(request, f"“{program.name}”: {exc.message}", messages.ERROR)

    def save_formset(self, request, form, formset, change):
        if formset.model is not LoyaltyCard:
            return super().save_formset(request, form, formset, change)
        program = form.instance
        for card_form in formset.forms:
            data = card_form.cleaned_data
            if not data:
                continue
            card = card_form.instance
            if data.get("DELETE") and card.pk:
                card.delete()
            elif card.pk and not card._state.adding:
                if "status" in card_form.changed_data:
                    services.update_loyalty_card(card=card, status=data["status"])
            elif not data.get("DELETE"):
                services.create_loyalty_card(
                    program=program, identifier=data["identifier"], status=data["status"]
                )
