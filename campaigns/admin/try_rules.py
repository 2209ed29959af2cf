"""A program's "try the rules" page: a customer and a cart typed one line an item, closed as a
dry run (`update_customer_session(..., dry=True)` with a throwaway session id), and the
effects the rules would apply. Nothing is saved: no session, no ledger transaction."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from core.errors import ConflictError
from loyalty.admin.programs import ProgramTool, register_program_tool
from organizations.tenancy import request_actor

from .. import services
from ..api.serializers import CartItemWriteSerializer

LINE_FORMAT = "sku, quantity, price[, category]"
COLUMNS = ("sku", "quantity", "price", "category")


def parse_cart(text: str) -> list[dict]:
    """Cart items from lines "sku, quantity, price[, category]" (blank lines skipped); the
    API's cart item serializer checks each, so the limits are the API's. Every bad line is
    reported with its line number."""
    items, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(",")]
        if len(parts) not in (3, 4):
            errors.append(f"Line {number}: write {LINE_FORMAT}.")
            continue
        values = dict(zip(COLUMNS, parts, strict=False))
        if values["quantity"].isdigit():  # JSON types are checked: typed text is all strings
            values["quantity"] = int(values["quantity"])
        item = CartItemWriteSerializer(data=values)
        if not item.is_valid():
            problems = "; ".join(
                f"{field}: {' '.join(str(m) for m in messages)}"
                for field, messages in item.errors.items()
            )
            errors.append(f"Line {number}: {problems}")
            continue
        items.append(dict(item.validated_data))
    if len(items) > services.MAX_ITEMS:
        errors.append(f"At most {services.MAX_ITEMS:,} cart lines.")
    if errors:
        raise ValidationError(errors)
    return items


class TryRulesForm(forms.Form):
    integration_id = forms.CharField(
        label="Customer integration id", max_length=255, required=False
    )
    loyalty_card = forms.CharField(
        max_length=255, required=False, help_text="For a card-based program: the card identifier."
    )
    cart = forms.CharField(
        label="Cart lines",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=f"One item a line: {LINE_FORMAT}. E.g. “latte, 2, 3.40, coffee”.",
    )

    def clean_cart(self):
        return parse_cart(self.cleaned_data["cart"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("integration_id") and not cleaned.get("loyalty_card"):
            raise ValidationError("Name a customer (or, for a card-based program, a card).")
        return cleaned

    def session_data(self) -> dict:
        data = {
            "profile": self.cleaned_data["integration_id"] or None,
            "state": "closed",
            "cart_items": self.cleaned_data["cart"],
        }
        if self.cleaned_data["loyalty_card"]:
            data["loyalty_cards"] = [self.cleaned_data["loyalty_card"]]
        return data


FORM_FIELDS = {"profile": "integration_id", "loyalty_cards": "loyalty_card"}


def try_rules_view(model_admin, request, program):
    """The program admin's tool page (the program is already scoped and viewable). A dry run
    writes nothing, so whoever may see the program may try its rules."""
    form = TryRulesForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.update_customer_session(
                organization=program.organization,
                session_id=f"admin-try-{uuid.uuid4().hex}",
                data=form.session_data(),
                dry=True,
                actor=request_actor(request),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(FORM_FIELDS.get(field), errors)
            else:
                form.add_error(None, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "program": program,
        "title": f"Try the earning rules: {program.name}",
        "form": form,
        "result": result,
        "effects": result.effects if result else [],
    }
    return TemplateResponse(request, "admin/campaigns/try_rules.html", context)


TRY_RULES = register_program_tool(
    ProgramTool(slug="try-rules", label="Try the earning rules", view=try_rules_view)
)
