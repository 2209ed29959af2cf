"""Mews' access token (in the body), its error shape (`{"Message"}`) and its names."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from core.api.errors import ExceptionHandler
from core.api.parsers import JSONParser
from core.errors import BatchValidationError
from organizations.authentication import ApiKeyAuthentication
from organizations.tenancy import key_organizations, resolve_access

STATES = {"New": "new", "Pending": "pending", "Enrolled": "enrolled", "Canceled": "canceled",
          "Declined": "declined"}  # fmt: skip
THEIR_STATES = {ours: theirs for theirs, ours in STATES.items()}


class AccessTokenAuthentication(BaseAuthentication):
    """`AccessToken` in the JSON body is one of our API keys (same scopes and revocation)."""

    def authenticate(self, request):
        token = request.data.get("AccessToken") if isinstance(request.data, dict) else None
        if not isinstance(token, str) or not token:
            raise exceptions.AuthenticationFailed("Send the AccessToken in the body.")
        return ApiKeyAuthentication.authenticate_secret(token)

    def authenticate_header(self, request) -> str:
        return "AccessToken"


def camel_path(key: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in str(key).split("_"))


def _messages(detail, path=()) -> list[str]:
    if isinstance(detail, dict):
        return [m for k, v in detail.items() for m in _messages(v, (*path, camel_path(k)))]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            where = ".".join(path)
            return [f"{where}: {item}" if where else str(item) for item in detail]
        return [m for i, item in enumerate(detail) for m in _messages(item, (*path, str(i)))]
    return [str(detail)]


def exception_handler(exc, context):
    view = context["view"]
    if isinstance(exc, BatchValidationError):
        exc = exceptions.ValidationError(exc.as_detail(view.batch_key))
    exc = ExceptionHandler(exc, context).convert_known_exceptions(exc)
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        message = "; ".join(_messages(exc.detail))
    else:
        message = str(exc.detail)
    return Response({"Message": message, "Details": None}, status=exc.status_code)


class TokenAccess(BasePermission):
    """Every call is a POST: getAll needs the read scope, the others the write scope."""

    def has_permission(self, request, view) -> bool:
        access = resolve_access(request)
        if access is None:
            raise exceptions.NotAuthenticated()
        if not (access.can_read if view.reads else access.can_write):
            scope = "read" if view.reads else "write"
            raise exceptions.PermissionDenied(f"This AccessToken lacks the {scope} scope.")
        return True


@extend_schema(exclude=True)  # Mews' contract, not ours
class MewsView(APIView):
    authentication_classes = [AccessTokenAuthentication]
    permission_classes = [TokenAccess]
    reads = False
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    batch_key = "LoyaltyMemberships"

    def get_exception_handler(self):
        return exception_handler

    @property
    def organizations(self) -> list:
        """The chains the AccessToken covers: one, or several for a portfolio token."""
        return key_organizations(self.request.auth)

    def chain(self, chain_id, *, write: bool):
        """The organization a `ChainId` names; a portfolio token must name one to write, and
        a chain outside the token is not found."""
        if chain_id is None:
            if write and self.request.auth.is_portfolio:
                raise exceptions.ValidationError(
                    {"ChainId": ["Required with a portfolio AccessToken."]}
                )
            return None if not write else self.request.auth.organization
        found = next((org for org in self.organizations if org.pk == chain_id), None)
        if found is None:
            raise exceptions.NotFound(f"No chain {chain_id} for this AccessToken.")
        return found
