"""What every dialect view shares: Talon's `Authorization: ApiKey-v1 <key>` (our API keys, with
their scopes, revocation and tenancy), JSON only, Talon's error shape, and its lists."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from core.api.parsers import JSONParser
from core.validators import is_clean_text
from organizations.api.viewsets import MAX_LOOKUP_LENGTH
from organizations.authentication import ApiKeyAuthentication
from organizations.permissions import HasOrganizationAccess
from organizations.tenancy import request_actor, request_organization

from . import errors

MAX_PAGE_SIZE = 1000


class TalonApiKeyAuthentication(ApiKeyAuthentication):
    keyword = b"apikey-v1"
    scheme = "ApiKey-v1"


@extend_schema(exclude=True)  # Talon's contract, not ours: kept out of our OpenAPI schema
class TalonView(APIView):
    authentication_classes = [TalonApiKeyAuthentication]
    permission_classes = [HasOrganizationAccess]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    batch_key = "data"  # where a batch's per-item errors point (Talon's name for the list)

    def get_exception_handler(self):
        return errors.exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for value in kwargs.values():  # nothing can be stored under such a key
            if len(value) > MAX_LOOKUP_LENGTH or not is_clean_text(value):
                raise NotFound()

    @property
    def organization(self):
        return request_organization(self.request)

    @property
    def actor(self):
        return request_actor(self.request)

    def tenant_row(self, queryset, **lookup):
        """A row of the caller's organization, else a 404 (another organization's too)."""
        row = queryset.for_organization(self.organization).filter(**lookup).first()
        if row is None:
            raise NotFound()
        return row

    def query_int(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        raw = self.request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({name: ["Must be an integer."]}) from None
        if value < low or (high is not None and value > high):
            raise ValidationError({name: [f"Must be between {low} and {high}."]})
        return value

    def query_flag(self, name: str) -> bool:
        raw = (self.request.query_params.get(name) or "false").lower()
        if raw not in ("true", "false", "1", "0"):
            raise ValidationError({name: ["Must be true or false."]})
        return raw in ("true", "1")

    def page(self, queryset, serialize) -> dict:
        """Talon's list envelope: `pageSize` (≤ 1,000, default 50) items after `skip`, and
        whether more follow."""
        size = self.query_int("pageSize", 50, low=1, high=MAX_PAGE_SIZE)
        skip = self.query_int("skip", 0)
        rows = list(queryset[skip : skip + size + 1])
        return {"hasMore": len(rows) > size, "data": [serialize(row) for row in rows[:size]]}


def number_id(value) -> int:
    """A path's integer id (numbers are positive): anything else finds nothing."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if number <= 0 or number > 2**63 - 1:
        raise NotFound()
    return number
