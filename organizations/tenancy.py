"""Who is asking, for which organization, and may they write: resolved once per request."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from .models import WRITE_ROLES, ApiKey, Organization, OrganizationMember

ORGANIZATION_HEADER = "X-Organization"


@dataclass(frozen=True)
class Access:
    organization: Organization
    can_read: bool
    can_write: bool
    via: str  # "api_key" | "session"


def user_roles(user) -> dict:
    """{organization_id: role} for a staff user; cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return {}
    cached = getattr(user, "_organization_roles", None)
    if cached is None:
        cached = dict(
            OrganizationMember.objects.filter(user=user).values_list("organization_id", "role")
        )
        user._organization_roles = cached
    return cached


@dataclass(frozen=True)
class Actor:
    """Who made a change, recorded one way everywhere: a staff user (admin, session API), an
    API key (partner API), or neither (a task, the demo seed)."""

    user: object | None = None
    api_key: ApiKey | None = None

    def __str__(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        if self.api_key is not None:
            return f"API key {self.api_key.name}"
        return "system"


def acting_user(request):
    """The staff user behind a request, or None for an API key (which is not a person)."""
    user = getattr(request, "user", None)
    return user if isinstance(user, get_user_model()) else None


def request_actor(request) -> Actor:
    """The actor of a request: its staff user, or the API key it was sent with."""
    auth = getattr(request, "auth", None)
    return Actor(user=acting_user(request), api_key=auth if isinstance(auth, ApiKey) else None)


def user_can_write(user, organization_id) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return user_roles(user).get(organization_id) in WRITE_ROLES


def resolve_access(request) -> Access | None:
    """The request's organization and rights; None when there is no organization to act for.

    API keys act for their own organization. A staff session (browsable API) acts for the
    organization named by the X-Organization header (a slug), else its first organization.
    """
    if hasattr(request, "_access"):
        return request._access
    access = None
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        access = Access(auth.organization, auth.can_read, auth.can_write, "api_key")
    elif getattr(request.user, "is_authenticated", False) and request.user.is_staff:
        access = _session_access(request)
    request._access = access
    return access


def _session_access(request) -> Access | None:
    user = request.user
    roles = user_roles(user)
    slug = request.headers.get(ORGANIZATION_HEADER, "").strip()
    organizations = Organization.objects.all()
    if not user.is_superuser:
        organizations = organizations.filter(id__in=list(roles))
    organization = (
        organizations.filter(slug=slug).first()
        if slug
        else organizations.order_by("created_at").first()
    )
    if organization is None:
        return None
    can_write = user.is_superuser or roles.get(organization.id) in WRITE_ROLES
    return Access(organization, True, can_write, "session")


def request_organization(request) -> Organization | None:
    access = resolve_access(request)
    return access.organization if access else None
