"""Audience groups: the one way in for creating, renaming and deleting them (API and admin).

A group's name is unique in its organization. A name already taken is a conflict (409); the
unique constraint still decides between two concurrent writers, and its error becomes the
same 409 rather than a 500."""

from django.db import IntegrityError, transaction

from core.errors import ConflictError
from organizations.models import Organization

from .models import AudienceGroup

NAME_TAKEN = "A group with this name already exists."


def _check_name_free(*, organization_id, name: str, exclude_pk=None) -> None:
    taken = AudienceGroup.objects.filter(organization_id=organization_id, name=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ConflictError(NAME_TAKEN, code="name_taken")


def _save(group: AudienceGroup) -> AudienceGroup:
    group.full_clean(exclude=["organization"], validate_unique=False)
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError as exc:  # named concurrently
        raise ConflictError(NAME_TAKEN, code="name_taken") from exc
    return group


def create_audience_group(
    *, organization: Organization, name: str, type: str = ""
) -> AudienceGroup:
    _check_name_free(organization_id=organization.pk, name=name)
    return _save(AudienceGroup(organization=organization, name=name, type=type))


def update_audience_group(*, group: AudienceGroup, data: dict) -> AudienceGroup:
    if "name" in data:
        _check_name_free(
            organization_id=group.organization_id, name=data["name"], exclude_pk=group.pk
        )
    for field in ("name", "type"):
        if field in data:
            setattr(group, field, data[field])
    return _save(group)


def delete_audience_group(*, group: AudienceGroup) -> None:
    group.delete()
