"""Who is asking, for which organization, and may they write: resolved once per request."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from rest_framework import exceptions

from .models import WRITE_ROLES, ApiKey, Organization, OrganizationMember

ORGANIZATION_HEADER = "X-Organization"


@dataclass(frozen=True)
class Access:
    organization: Organization
    can_read: bool
    can_write: bool
    via: str  # "api_key" | "session"
    # False when a portfolio key acts for its own organization only because none was named:
    # it may read there, but a write must say where it goes.
    chosen: bool = True


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

    The X-Organization header (a slug) names the organization to act for. An API key acts
    for its own organization, or for one of its portfolio's; a staff session (browsable API)
    for one where the user has a role, else its first.
    """
    if hasattr(request, "_access"):
        return request._access
    access = None
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        slug = getattr(request.user, "organization_slug", "") or request.headers.get(
            ORGANIZATION_HEADER, ""
        )
        access = key_access(auth, slug.strip())
    elif getattr(request.user, "is_authenticated", False) and request.user.is_staff:
        access = _session_access(request)
    request._access = access
    return access


def key_organizations(api_key: ApiKey) -> list[Organization]:
    """The organizations a key acts for: its own first, then its portfolio's by name."""
    cached = getattr(api_key, "_organizations", None)
    if cached is None:
        cached = [api_key.organization]
        if api_key.is_portfolio:
            cached += api_key.portfolio.exclude(pk=api_key.organization_id).order_by("name")
        api_key._organizations = cached
    return cached


def key_access(api_key: ApiKey, slug: str = "") -> Access:
    """What a key may do in the organization named by `slug` (none: its own). A slug outside
    the key is refused, never quietly replaced by the key's own organization."""
    read, write = api_key.can_read, api_key.can_write
    if not slug:
        return Access(api_key.organization, read, write, "api_key", chosen=not api_key.is_portfolio)
    organization = next((o for o in key_organizations(api_key) if o.slug == slug), None)
    if organization is None:
        raise exceptions.PermissionDenied(
            f"This API key does not act for the organization {slug!r} ({ORGANIZATION_HEADER})."
        )
    return Access(organization, read, write, "api_key")


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
