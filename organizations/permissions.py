from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .tenancy import ORGANIZATION_HEADER, resolve_access

ORGANIZATION_PARAMETER = OpenApiParameter(
    name=ORGANIZATION_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "The slug of the organization to act for. A key acts for its own organization; a "
        "portfolio key for any of its organizations, and must name one to write (400 without "
        "it). An organization outside the key or the staff user's roles is a 403."
    ),
)


class HasOrganizationAccess(BasePermission):
    """Every API call acts for one organization; writes need the write scope or an editor role."""

    openapi_parameters = (ORGANIZATION_PARAMETER,)

    def has_permission(self, request, view) -> bool:
        if not getattr(request.user, "is_authenticated", False):
            raise exceptions.NotAuthenticated()
        access = resolve_access(request)
        if access is None:
            raise exceptions.PermissionDenied(
                "No organization to act for: use an API key, or a staff account that belongs "
                "to an organization (choose one with the X-Organization header)."
            )
        if request.method in SAFE_METHODS:
            if not access.can_read:
                raise exceptions.PermissionDenied("This API key lacks the read scope.")
            return True
        if not access.can_write:
            if access.via == "api_key":
                raise exceptions.PermissionDenied(
                    "This API key is read-only: the write scope is needed for this request."
                )
            raise exceptions.PermissionDenied("Your role in this organization is read-only.")
        if not access.chosen:
            raise exceptions.ValidationError(
                {
                    ORGANIZATION_HEADER: [
                        "This API key acts for several organizations: name the one to write "
                        "to with the X-Organization header (its slug)."
                    ]
                },
                code="organization_required",
            )
        return True
