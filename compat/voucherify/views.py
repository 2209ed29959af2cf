"""`/v2/loyalties/tier-structures` (create, list) and `/{id}` (get, update, delete)."""

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from core.api.errors import ExceptionHandler
from core.api.parsers import JSONParser
from loyalty import services
from loyalty.api.serializers import structures as s
from loyalty.models import Tier, TierStructure
from organizations.authentication import ApiKeyAuthentication
from organizations.permissions import HasOrganizationAccess
from organizations.tenancy import key_organizations, request_organization

RENAMED = {"program": "card_definition_id"}  # ours → theirs
STATUSES = ("DRAFT", "ACTIVE", "INACTIVE", "DELETED")


class AppTokenAuthentication(ApiKeyAuthentication):
    """`X-App-Id: <organization slug>` with `X-App-Token: <api key>`, the slug naming the
    organization to act for (any of a portfolio key's); else Bearer (and X-Organization)."""

    def authenticate(self, request):
        app_id = request.headers.get("X-App-Id")
        token = request.headers.get("X-App-Token")
        if app_id is None and token is None:
            return super().authenticate(request)
        client, api_key = self.authenticate_secret(token or "", organization_slug=app_id or "")
        if app_id not in {org.slug for org in key_organizations(api_key)}:
            raise exceptions.AuthenticationFailed("X-App-Id is not an organization of this key.")
        return client, api_key


def _first(detail, path=()):
    """(key, message) of the first error in a DRF detail, the key in Voucherify's names."""
    if isinstance(detail, dict):
        key, value = next(iter(detail.items()))
        return _first(value, (*path, RENAMED.get(str(key), str(key))))
    if isinstance(detail, list) and detail:
        if isinstance(detail[0], dict | list):
            index = next(i for i, item in enumerate(detail) if item)
            return _first(detail[index], (*path, str(index)))
        return ".".join(p for p in path if p != "non_field_errors"), str(detail[0])
    return ".".join(path), str(detail)


def exception_handler(exc, context):
    """Errors as Voucherify shapes them: `{code, key, message, details}`; a service's error on
    model columns names the payload field that carries them (as our API does)."""
    converted = ExceptionHandler(exc, context).convert_known_exceptions(exc)
    if isinstance(exc, DjangoValidationError) and isinstance(converted.detail, dict):
        converted.detail = {
            s.STRUCTURE_ERROR_FIELDS.get(key, key): value for key, value in converted.detail.items()
        }
    exc = converted
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    key, message = (
        _first(exc.detail) if isinstance(exc, exceptions.ValidationError) else (None, None)
    )
    body = {
        "code": exc.status_code,
        "key": key or getattr(exc, "default_code", "error"),
        "message": "Invalid payload" if key is not None else str(exc.detail),
        "details": f"{key}: {message}" if key else str(exc.detail),
    }
    return Response(body, status=exc.status_code)


def shaped(structure) -> dict:
    data = dict(s.TierStructureSerializer(structure).data)
    data["card_definition_id"] = data.pop("program")
    return data


def _ours(data) -> dict:
    """Voucherify's body in our serializers' names (`card_definition_id` → `program`)."""
    if not isinstance(data, dict):
        raise exceptions.ValidationError(["Send a JSON object."])
    theirs = {v: k for k, v in RENAMED.items()}
    return {theirs.get(key, key): value for key, value in data.items()}


@extend_schema(exclude=True)  # Voucherify's contract, not ours
class VoucherifyView(APIView):
    authentication_classes = [AppTokenAuthentication]
    permission_classes = [HasOrganizationAccess]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return exception_handler

    @property
    def organization(self):
        return request_organization(self.request)

    def structures(self):
        return TierStructure.objects.filter(organization=self.organization).prefetch_related(
            Prefetch("tiers", queryset=Tier.objects.order_by("order"))
        )


class TierStructuresView(VoucherifyView):
    def post(self, request):
        body = _ours(request.data)
        wanted = body.pop("status", "DRAFT")
        if wanted not in ("DRAFT", "ACTIVE"):
            raise exceptions.ValidationError({"status": ["A new structure is DRAFT or ACTIVE."]})
        data = s.TierStructureWriteSerializer(
            data=body, context={"organization": self.organization, "request": request}
        )
        data.is_valid(raise_exception=True)
        payload = data.validated_data
        structure = services.create_tier_structure(
            program=payload["program"],
            data=s.structure_fields(payload),
            tiers=payload.get("tiers", []),
            status=wanted,
        )
        return Response(shaped(self.structures().get(pk=structure.pk)), status=201)

    def get(self, request):
        rows = list(self.structures().exclude(status="DELETED").order_by("created_at")[:100])
        return Response(
            {
                "object": "list",
                "data_ref": "data",
                "data": [shaped(r) for r in rows],
                "total": len(rows),
            }
        )


class TierStructureView(VoucherifyView):
    def structure(self, structure_id):
        row = self.structures().filter(pk=structure_id).first() if _is_uuid(structure_id) else None
        if row is None:
            raise exceptions.NotFound(f"Tier structure {structure_id} not found.")
        return row

    def get(self, request, structure_id):
        return Response(shaped(self.structure(structure_id)))

    def put(self, request, structure_id):
        structure = self.structure(structure_id)
        body = _ours(request.data)
        wanted = body.pop("status", None)
        body.pop("program", None)  # a structure stays in its program
        if wanted is not None and wanted not in STATUSES:
            raise exceptions.ValidationError({"status": [f"One of {', '.join(STATUSES)}."]})
        data = s.TierStructureUpdateSerializer(data=body)
        data.is_valid(raise_exception=True)
        payload = data.validated_data
        with transaction.atomic():
            structure = services.update_tier_structure(
                structure=structure, data=s.structure_fields(payload), tiers=payload.get("tiers")
            )
            if wanted is not None and wanted != structure.status:
                structure = services.set_tier_structure_status(structure=structure, status=wanted)
        return Response(shaped(self.structure(structure_id)))

    def delete(self, request, structure_id):
        services.delete_tier_structure(structure=self.structure(structure_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
