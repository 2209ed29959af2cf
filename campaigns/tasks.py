from celery import shared_task

from organizations.models import Organization

from .services.welcome import apply_profile_created_rules as apply_profile_created_rules_service


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def apply_profile_created_rules(organization_id: str, profile_ids: list[str]) -> int:
    """Idempotent (ledger references), so a redelivered message gives nothing twice."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return apply_profile_created_rules_service(organization=organization, profile_ids=profile_ids)
