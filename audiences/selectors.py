"""Reads over audiences: the dry-run preview of rules, and what an audience is shown with."""

from django.db.models import Prefetch

from .models import SyncSource
from .rules import matching_profiles

ACTORS = ("created_by", "created_by_key", "updated_by", "updated_by_key")


def sync_sources_with_actors() -> Prefetch:
    """An audience's sync sources with who made and changed them, in one query."""
    return Prefetch("sync_sources", queryset=SyncSource.objects.select_related(*ACTORS))


def preview_rules(*, organization, rules, sample_size: int = 10) -> dict:
    """How many profiles the rules select now and a few of them, without saving anything
    (two queries: a count and a sample)."""
    profiles = matching_profiles(organization=organization, rules=rules)
    sample = list(
        profiles.order_by("-created_at", "-id").values(
            "integration_id", "email", "first_name", "last_name"
        )[:sample_size]
    )
    return {"count": profiles.count(), "sample": sample}
