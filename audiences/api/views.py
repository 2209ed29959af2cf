"""Audiences, their members and refreshes; tier-range audiences; bulk customer audiences."""

from django.db import transaction
from django.utils.text import slugify
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from audiences import exports, groups, imports, selectors, services, uploads
from audiences.filters import AudienceFilter, AudienceImportFilter
from audiences.models import Audience, AudienceGroup, AudienceImport
from audiences.selectors import ACTORS, sync_sources_with_actors
from core.api.csv import csv_action
from core.api.errors import reject_oversized_batch
from core.api.pagination import CreatedCursorPagination
from core.api.schema import counts_response
from core.csv_export import csv_response
from core.errors import BatchValidationError
from organizations.api.viewsets import TenantViewSet
from organizations.tenancy import request_actor

from . import serializers as s

NOT_GIVEN = object()


class MembersPagination(CreatedCursorPagination):
    ordering = ("-added_at", "-id")


class RefreshLogPagination(CreatedCursorPagination):
    ordering = ("-started_at", "-id")


class AudienceGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Audience groups; writes go through `audiences.groups`."""

    queryset = AudienceGroup.objects.all()
    serializer_class = s.AudienceGroupSerializer
    idempotent_actions = frozenset({"create"})

    @extend_schema(request=s.AudienceGroupSerializer, responses={201: s.AudienceGroupSerializer})
    def create(self, request):
        data = s.AudienceGroupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = groups.create_audience_group(organization=self.organization, **data.validated_data)
        return Response(s.AudienceGroupSerializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AudienceGroupSerializer, responses=s.AudienceGroupSerializer)
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=s.AudienceGroupSerializer, responses=s.AudienceGroupSerializer)
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        group = self.get_object()
        data = s.AudienceGroupSerializer(group, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        group = groups.update_audience_group(group=group, data=data.validated_data)
        return Response(s.AudienceGroupSerializer(group).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        groups.delete_audience_group(group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AudienceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Audiences with rules (Fanfare, Talon.One). Members added by import or API stay when
    rules change; `rule` members follow the rules at every refresh."""

    batch_actions = frozenset({"members", "imports", "customer_attributes"})
    queryset = Audience.objects.select_related("group", *ACTORS).prefetch_related(
        "rules", sync_sources_with_actors()
    )
    serializer_class = s.AudienceSerializer
    filterset_class = AudienceFilter
    ordering_fields = ("created_at", "name")
    idempotent_actions = frozenset({"create", "loyalty_tiers", "customer_attributes"})
    documented_error_statuses = {
        "members": ("413",),
        "refresh": ("409",),
    }

    @extend_schema(request=s.AudienceWriteSerializer, responses={201: s.AudienceSerializer})
    def create(self, request):
        data = s.AudienceWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        payload = dict(data.validated_data)
        rules = payload.pop("rules", [])
        audience = services.create_audience(
            organization=self.organization, data=payload, rules=rules, actor=request_actor(request)
        )
        return Response(
            s.AudienceSerializer(self.reload(audience)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.AudienceUpdateSerializer, responses=s.AudienceSerializer)
    def partial_update(self, request, pk=None):
        audience = self.get_object()
        data = s.AudienceUpdateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        payload = dict(data.validated_data)
        rules = payload.pop("rules", None)
        program = payload.pop("program", NOT_GIVEN)
        with transaction.atomic():
            audience = services.update_audience(
                audience=audience, data=payload, rules=rules, actor=request_actor(request)
            )
            if program is not NOT_GIVEN:
                audience = services.name_tier_program(
                    audience=audience, program=program, actor=request_actor(request)
                )
        return Response(s.AudienceSerializer(self.reload(audience)).data)

    def destroy(self, request, pk=None):
        services.delete_audience(audience=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.LoyaltyTiersSerializer,
        responses={201: s.LoyaltyTiersResultSerializer},
        summary="Create one audience per loyalty tier (non-overlapping ranges)",
        description="All or nothing: overlapping ranges or repeated orders are a 400 that "
        "names both tiers. With a `program`, members are the profiles whose active points in "
        "it fall in each range (end_value empty: no upper limit), on a refresh schedule; "
        "without one, members come from imports and the API until a PATCH of the audience "
        "names its `program`.",
    )
    @action(detail=False, methods=["post"], url_path="loyalty-tiers")
    def loyalty_tiers(self, request):
        data = s.LoyaltyTiersSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        payload = data.validated_data
        group, audiences = services.create_tier_audiences(
            organization=self.organization,
            group_name=payload["group_name"],
            program=payload.get("program"),
            tiers=payload["tiers"],
            actor=request_actor(request),
        )
        body = {"group": group, "audiences": [self.reload(a) for a in audiences]}
        return Response(s.LoyaltyTiersResultSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.RulesPreviewSerializer,
        responses=s.PreviewSerializer,
        summary="Dry run: which profiles these rules select (nothing saved)",
    )
    @action(detail=False, methods=["post"], url_path="preview")
    def preview_rules(self, request):
        data = s.RulesPreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = selectors.preview_rules(
            organization=self.organization,
            rules=data.validated_data["rules"],
            sample_size=data.validated_data["sample_size"],
        )
        return Response(s.PreviewSerializer(result).data)

    @extend_schema(responses=s.PreviewSerializer, summary="Dry run of the audience's rules")
    @action(detail=True, methods=["get"], url_path="preview")
    def preview(self, request, pk=None):
        audience = self.get_object()
        result = selectors.preview_rules(
            organization=self.organization, rules=list(audience.rules.all())
        )
        return Response(s.PreviewSerializer(result).data)

    @extend_schema(
        request=None,
        responses={
            202: counts_response(
                "RefreshQueued",
                "Queued (or already queued).",
                queued=serializers.BooleanField(),
            )
        },
        summary="Refresh now",
    )
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        queued = services.request_refresh(audience=self.get_object())
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses=s.RefreshLogSerializer(many=True), summary="Refresh log", filters=False
    )
    @action(detail=True, methods=["get"])
    def refreshes(self, request, pk=None):
        audience = self.get_object()
        paginator = RefreshLogPagination()
        page = paginator.paginate_queryset(audience.refreshes.all(), request, view=self)
        return paginator.get_paginated_response(s.RefreshLogSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=s.MemberSerializer(many=True), summary="List members")
    @extend_schema(
        methods=["POST"],
        request=s.MembersWriteSerializer,
        responses={200: counts_response("MembersAdded", "Profiles added.", "added")},
        summary="Add up to 1,000 profiles (all must exist)",
    )
    @extend_schema(
        methods=["DELETE"],
        request=s.MembersWriteSerializer,
        responses={200: counts_response("MembersRemoved", "Profiles removed.", "removed")},
        summary="Remove up to 1,000 profiles",
    )
    @action(detail=True, methods=["get", "post", "delete"])
    def members(self, request, pk=None):
        audience = self.get_object()
        if request.method == "GET":
            memberships = audience.memberships.select_related("profile")
            paginator = MembersPagination()
            page = paginator.paginate_queryset(memberships, request, view=self)
            return paginator.get_paginated_response(s.MemberSerializer(page, many=True).data)
        reject_oversized_batch(request.data, "integration_ids", services.MEMBERS_LIMIT)
        data = s.MembersWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["integration_ids"]
        try:
            if request.method == "POST":
                return Response(
                    {"added": services.add_members(audience=audience, integration_ids=ids)}
                )
            return Response(
                {"removed": services.remove_members(audience=audience, integration_ids=ids)}
            )
        except BatchValidationError as exc:
            raise ValidationError(exc.as_detail("integration_ids")) from exc

    @csv_action(detail=True, url_path="members.csv", summary="Download the members as CSV")
    def members_csv(self, request, pk=None):
        audience = self.get_object()
        return csv_response(
            exports.audience_members(
                Audience.objects.filter(pk=audience.pk),
                filename=f"{slugify(audience.name) or 'audience'}-members.csv",
            )
        )

    @extend_schema(
        request={"multipart/form-data": s.ImportUploadSerializer},
        responses={202: s.AudienceImportSerializer},
        summary="Import a CSV of customers into the audience",
        description="Columns: integration_id (required), email, msisdn, first_name, last_name; "
        "any other column becomes an attribute. UTF-8 (with or without BOM), comma or "
        "semicolon. Returns 202 at once; follow the import at `/api/v1/imports/{id}`. "
        "`mode=replace` removes the audience's imported members that are not in the file.",
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def imports(self, request, pk=None):
        uploads.check_request_size(request.META.get("CONTENT_LENGTH"))
        audience = self.get_object()
        data = s.ImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audience_import = imports.start_import(
            audience=audience,
            uploaded_file=data.validated_data["file"],
            mode=data.validated_data["mode"],
            actor=request_actor(request),
        )
        url = reverse("audience-import-detail", args=[audience_import.pk], request=request)
        return Response(
            s.AudienceImportSerializer(audience_import).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )

    @extend_schema(
        request=None,
        responses={200: counts_response("AllMembersRemoved", "Members removed.", "removed")},
        summary="Remove every member",
    )
    @action(detail=True, methods=["delete"])
    def memberships(self, request, pk=None):
        return Response({"removed": services.clear_members(audience=self.get_object())})

    @extend_schema(
        request=s.MemberAttributesSerializer,
        responses={200: counts_response("MembersUpdated", "Members updated.", "updated")},
        summary="Set attributes on every member (one UPDATE; null removes a key)",
    )
    @action(detail=True, methods=["put"], url_path="customer-attributes")
    def customer_attributes(self, request, pk=None):
        audience = self.get_object()
        data = s.MemberAttributesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.set_member_attributes(
            audience=audience, attributes=data.validated_data["attributes"]
        )
        return Response({"updated": updated})


class AudienceImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """CSV imports: progress, per-row errors, cancel.

    Start one with `POST /audiences/{id}/imports`."""

    queryset = AudienceImport.objects.select_related("created_by", "created_by_key")
    serializer_class = s.AudienceImportSerializer
    filterset_class = AudienceImportFilter
    documented_error_statuses = {"cancel": ("409",), "archive": ("409",), "unarchive": ("409",)}

    @extend_schema(request=None, responses=s.AudienceImportSerializer, summary="Cancel")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        audience_import = imports.cancel_import(audience_import=self.get_object())
        return Response(s.AudienceImportSerializer(audience_import).data)

    @extend_schema(request=None, responses=s.AudienceImportSerializer, summary="Archive")
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        audience_import = imports.archive_import(audience_import=self.get_object())
        return Response(s.AudienceImportSerializer(audience_import).data)

    @extend_schema(request=None, responses=s.AudienceImportSerializer, summary="Unarchive")
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None):
        audience_import = imports.archive_import(audience_import=self.get_object(), archived=False)
        return Response(s.AudienceImportSerializer(audience_import).data)


class CustomerAudiencesViewSet(TenantViewSet):
    """`POST /customer-audiences`: add/remove many profiles to/from many audiences at once."""

    batch_actions = frozenset({"create"})
    queryset = Audience.objects.all()
    serializer_class = s.CustomerAudiencesSerializer
    idempotent_actions = frozenset({"create"})
    documented_error_statuses = {"create": ("413",)}

    @extend_schema(
        request=s.CustomerAudiencesSerializer,
        responses={
            200: counts_response("CustomerAudiencesResult", "Changes made.", "added", "removed")
        },
        summary="Bulk add/remove profiles to/from audiences (up to 1,000 items)",
        description="All or nothing: any bad item is a 400 naming `data.<index>.<field>`.",
    )
    def create(self, request):
        reject_oversized_batch(request.data, "data", services.MEMBERS_LIMIT)
        data = s.CustomerAudiencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.update_customer_audiences(
                organization=self.organization, items=data.validated_data["data"]
            )
        except BatchValidationError as exc:
            raise ValidationError(exc.as_detail("data")) from exc
        return Response(result)
