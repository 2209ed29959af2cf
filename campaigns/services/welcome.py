"""`profile_created` rules: points for a customer who just joined. Queued after the creating
transaction commits (customers' `profiles_created` hook, registered in CampaignsConfig), so a
profile upsert costs no rule evaluation; run by `campaigns.tasks.apply_profile_created_rules`.
A retried task gives nothing twice: each effect's ledger reference names the rule and the
profile."""

from django.db import transaction
from django.utils import timezone

from core.dispatch import enqueue
from customers.models import CustomerProfile
from loyalty import ledger
from loyalty.models import PointsTransaction
from organizations.models import Organization

from .. import engine
from ..conditions import Facts
from ..models import AppliedEffect, EarningRule

TASK = "campaigns.tasks.apply_profile_created_rules"


def queue_profile_created_rules(*, organization: Organization, profile_ids) -> None:
    """customers' `profiles_created` hook."""
    enqueue(TASK, str(organization.pk), [str(pk) for pk in profile_ids])


def apply_profile_created_rules(*, organization: Organization, profile_ids) -> int:
    """Apply the organization's `profile_created` rules to these profiles; returns how many
    effects were applied."""
    now = timezone.now()
    rules = engine.active_rules(
        organization=organization, trigger=EarningRule.Trigger.PROFILE_CREATED, now=now
    )
    if not rules:
        return 0
    applied = 0
    for profile in CustomerProfile.objects.filter(organization=organization, pk__in=profile_ids):
        with transaction.atomic():
            for plan in engine.plan(rules=rules, profile=profile, facts=Facts(), lines=[]):
                reference = f"profile-created:{plan.rule.pk}:{profile.pk}:{plan.amount}"
                txn = ledger.earn_points(
                    program=plan.program,
                    profile=profile,
                    amount=plan.amount,
                    subledger_id=plan.subledger_id,
                    kind=PointsTransaction.Kind.EVENT,
                    reason=plan.reason,
                    reference=reference,
                    now=now,
                )
                _, created = AppliedEffect.objects.get_or_create(
                    transaction=txn,
                    defaults={
                        "organization_id": organization.pk,
                        "rule": plan.rule,
                        "rule_name": plan.rule.name,
                        "program": plan.program,
                        "type": AppliedEffect.Type.ADD_POINTS,
                        "subledger_id": plan.subledger_id,
                        "amount": plan.amount,
                        "reason": plan.reason,
                        "created_at": now,
                    },
                )
                applied += created
    return applied
