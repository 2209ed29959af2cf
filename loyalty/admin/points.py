"""A program's points page in the admin: look up a customer's or card's balances, tier and
latest transactions, and record a manual adjustment (through `loyalty.ledger`, like the API)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from loyalty import ledger, owners, selectors
from loyalty.models import LoyaltyProgram, PointsTransaction
from organizations.tenancy import request_actor

from .forms import AdjustPointsForm

MISSING = {
    owners.PROFILE: "No customer with integration id “{key}”.",
    owners.CARD: "No card “{key}” in this program.",
}


def find_owner(program: LoyaltyProgram, key: str) -> dict:
    """The program's profile or card named `key`, as the ledger functions take it."""
    owner = owners.owner_of(program)
    row = owner.rows(program).filter(**{owner.key_field: key}).first()
    if row is None:
        raise ValidationError(MISSING[owner].format(key=key))
    return {owner.name: row}


class ProgramPointsMixin:
    """For the program admin: the points page at `<program id>/points/`."""

    def get_urls(self):
        return [
            path(
                "<uuid:program_id>/points/",
                self.admin_site.admin_view(self.points_view),
                name="loyalty_loyaltyprogram_points",
            ),
            *super().get_urls(),
        ]

    def points_view(self, request, program_id):
        program = get_object_or_404(self.get_queryset(request), pk=program_id)
        if not self.has_view_permission(request, program):
            raise PermissionDenied
        can_write = self.has_change_permission(request, program)
        lookup = (request.GET.get("owner") or "").strip()
        form = AdjustPointsForm(initial={"owner": lookup})
        if request.method == "POST":
            if not can_write:
                raise PermissionDenied
            form = AdjustPointsForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    txn = ledger.adjust_points(
                        program=program,
                        amount=data["amount"],
                        reason=data["reason"],
                        subledger_id=data["subledger_id"],
                        actor=request_actor(request),
                        **find_owner(program, data["owner"]),
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(
                        request, f"{txn.amount:+,} points recorded for {data['owner']}."
                    )
                    url = reverse("admin:loyalty_loyaltyprogram_points", args=[program.pk])
                    return redirect(f"{url}?owner={data['owner']}")
        result = error = None
        if lookup:
            try:
                owner = find_owner(program, lookup)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                result = {
                    "balances": selectors.balances(program=program, **owner),
                    "tier": selectors.current_tier(program=program, **owner),
                    "transactions": PointsTransaction.objects.filter(
                        program=program,
                        account__in=selectors.account_queryset(program=program, **owner),
                    ).select_related("account", "created_by")[:20],
                }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "program": program,
            "title": f"Points: {program.name}",
            "lookup": lookup,
            "result": result,
            "error": error,
            "form": form,
            "can_write": can_write,
        }
        return TemplateResponse(request, "admin/loyalty/program_points.html", context)
