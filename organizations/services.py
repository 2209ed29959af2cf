import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .hooks import organization_created
from .models import ApiKey, ApiScope, Organization, OrganizationMember, Role, hash_api_key

API_KEY_PREFIX = "lbo_"
# last_used_at is refreshed at most this often, so reads do not turn into a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def parse_scopes(scopes: Iterable[str] | str) -> list[str]:
    if isinstance(scopes, str):
        scopes = [s for s in (part.strip() for part in scopes.split(",")) if s]
    scopes = list(dict.fromkeys(scopes))
    unknown = [s for s in scopes if s not in ApiScope.values]
    if unknown:
        raise ValidationError(
            {"scopes": f"Unknown scope(s): {', '.join(unknown)}. Use read and/or write."}
        )
    if not scopes:
        raise ValidationError({"scopes": "Give at least one scope: read, write."})
    return sorted(scopes)


@transaction.atomic
def create_organization(*, name: str, slug: str = "") -> Organization:
    organization = Organization(name=name, slug=slug or slugify(name))
    organization.full_clean()
    organization.save()
    organization_created(organization=organization)
    return organization


@transaction.atomic
def add_organization_member(*, organization: Organization, user, role: str) -> OrganizationMember:
    member, _ = OrganizationMember.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return member


@transaction.atomic
def create_api_key(
    *,
    organization: Organization,
    name: str,
    scopes: Iterable[str] | str,
    created_by=None,
    portfolio: Iterable[Organization] = (),
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret: the only time the secret is available.

    A `portfolio` makes it a portfolio key, acting for those organizations too. A staff user
    who makes a key must own every organization it acts for.
    """
    others = {org.pk: org for org in portfolio if org.pk != organization.pk}
    _check_owner(created_by, organization, list(others.values()))
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(
        organization=organization,
        name=name,
        scopes=parse_scopes(scopes),
        prefix=secret[:12],
        hashed_key=hash_api_key(secret),
        created_by=created_by,
        is_portfolio=bool(others),
    )
    api_key.full_clean()
    api_key.save()
    if others:
        api_key.portfolio.set(others.values())
    return api_key, secret


def _check_owner(user, home: Organization, others: list[Organization]) -> None:
    if user is None or user.is_superuser:
        return
    owned = set(
        OrganizationMember.objects.filter(user=user, role=Role.OWNER).values_list(
            "organization_id", flat=True
        )
    )
    errors = {}
    if home.pk not in owned:
        errors["organization"] = f"Only an owner of {home.name} may make its keys."
    missing = sorted(org.name for org in others if org.pk not in owned)
    if missing:
        errors["portfolio"] = f"Only an owner may give a key access to {', '.join(missing)}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rename_api_key(*, api_key: ApiKey, name: str) -> ApiKey:
    api_key.name = name
    api_key.full_clean(exclude=["organization"], validate_unique=False)
    api_key.save(update_fields=["name"])
    return api_key


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def touch_api_key(*, api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
