"""Reads over audiences: the dry-run preview of rules."""

from .rules import matching_profiles


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
