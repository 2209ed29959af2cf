import json

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.utils.html import format_html, format_html_join

from organizations.admin_base import TenantAdmin

from . import services
from .hooks import profile_page_sections
from .models import CustomerProfile


@admin.register(CustomerProfile)
class CustomerProfileAdmin(TenantAdmin):
    list_display = (
        "integration_id",
        "full_name",
        "email",
        "msisdn",
        "attribute_summary",
        "number",
        "created_at",
    )
    list_display_links = ("integration_id",)
    search_fields = ("=integration_id", "email", "msisdn", "last_name")
    search_help_text = "Search by exact integration id, email, mobile number or last name."
    list_filter = ("created_at", ("personal_data_deleted_at", admin.EmptyFieldListFilter))
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    show_full_result_count = False
    list_per_page = 50
    # the profile page also shows what the other apps hold on the customer (their balance over
    # time, tier history, audiences, groups, last transactions), through a hook
    change_form_template = "admin/customers/customerprofile/change_form.html"
    fieldsets = (
        (None, {"fields": ("organization", "integration_id")}),
        ("Contact", {"fields": ("first_name", "last_name", "email", "msisdn")}),
        ("Attributes", {"fields": ("attributes_table", "attributes")}),
        ("History", {"fields": ("number", "created_at", "updated_at", "personal_data_deleted_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        readonly = [
            "attributes_table",
            "number",
            "created_at",
            "updated_at",
            "personal_data_deleted_at",
        ]
        if obj is not None:
            readonly += ["organization", "integration_id"]  # never change once set
        return readonly

    @admin.display(description="name")
    def full_name(self, obj: CustomerProfile) -> str:
        return obj.full_name

    @admin.display(description="attributes")
    def attribute_summary(self, obj: CustomerProfile) -> str:
        items = list(obj.attributes.items())
        text = ", ".join(f"{key}: {value}" for key, value in items[:3])
        return text + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")

    @admin.display(description="attributes (readable)")
    def attributes_table(self, obj: CustomerProfile) -> str:
        if not obj.attributes:
            return "—"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            (
                (key, value if isinstance(value, str) else json.dumps(value))
                for key, value in sorted(obj.attributes.items())
            ),
        )
        return format_html('<table class="attributes">{}</table>', rows)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        profile = self.get_object(request, unquote(object_id))
        sections = []
        if profile is not None:
            sections = [s for answer in profile_page_sections(profile=profile) for s in answer]
        context = {**(extra_context or {}), "profile_sections": sections}
        return super().change_view(request, object_id, form_url, context)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            current = CustomerProfile.objects.get(pk=obj.pk)
            saved = services.update_customer_profile(
                profile=current, data=data, replace_attributes=True
            )
        else:
            saved = services.create_customer_profile(
                organization=form.cleaned_data["organization"],
                integration_id=form.cleaned_data["integration_id"],
                data=data,
            )
        form.instance = saved
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.delete_customer_profile(profile=obj)

    def delete_queryset(self, request, queryset):
        services.delete_customer_profiles(profiles=queryset)
