from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiKey, hash_api_key
from .services import touch_api_key


class ApiClient:
    """The principal behind an API key: authenticated, but not a Django user."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key: ApiKey, organization_slug: str = ""):
        self.api_key = api_key
        # the organization a dialect's credentials name (e.g. Voucherify's X-App-Id); else
        # the X-Organization header decides (organizations.tenancy.resolve_access)
        self.organization_slug = organization_slug

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}…"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <api key>`; unknown or revoked keys are a 401 with a reason."""

    keyword = b"bearer"
    scheme = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: expected '%s <api key>'.") % self.scheme,
                code="malformed_authorization",
            )
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                _("Unknown API key."), code="unknown_api_key"
            ) from None
        return self.authenticate_secret(secret)

    @staticmethod
    def authenticate_secret(secret: str, organization_slug: str = "") -> tuple[ApiClient, ApiKey]:
        """The key with this secret, wherever a dialect carries it (a header, the body); an
        unknown or revoked one is a 401 with a reason."""
        api_key = (
            ApiKey.objects.select_related("organization")
            .filter(hashed_key=hash_api_key(secret))
            .first()
        )
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Unknown API key."), code="unknown_api_key")
        if api_key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("This API key has been revoked."), code="revoked_api_key"
            )
        touch_api_key(api_key=api_key)
        return ApiClient(api_key, organization_slug), api_key

    def authenticate_header(self, request) -> str:
        return f'{self.scheme} realm="api"'
