"""Customer inventory: everything the back-office knows about one customer, in a bounded
number of queries (one per section)."""

from django.db.models import OuterRef, Subquery, UUIDField

from audiences.models import AudienceMembership
from loyalty.models import PointsAccount, TierAssignment, TierStructure

from .models import LoyaltyMembership, MembersGroupMember


def customer_inventory(*, profile, sections: set[str]) -> dict:
    result: dict = {}
    if "loyalty" in sections:
        programs: dict = {}
        for account in PointsAccount.objects.filter(profile=profile).select_related("program"):
            entry = programs.setdefault(
                account.program_id,
                {"program": account.program_id, "name": account.program.name, "tier": None,
                 "balance": None, "subledger_balances": {}},
            )  # fmt: skip
            balance = {
                "active": account.active_points,
                "pending": account.pending_points,
                "expired": account.expired_points,
                "spent": account.spent_points,
                "tentative": account.active_points + account.pending_points,
            }
            if account.subledger_id:
                entry["subledger_balances"][account.subledger_id] = balance
            else:
                entry["balance"] = balance
        for assignment in TierAssignment.objects.filter(
            account__profile=profile,
            account__subledger_id="",
            structure__status=TierStructure.Status.ACTIVE,
            tier__isnull=False,
        ).select_related("tier"):
            if assignment.program_id in programs:
                programs[assignment.program_id]["tier"] = {
                    "id": assignment.tier_id,
                    "name": assignment.tier.name,
                    "since": assignment.since,
                    "expires_at": assignment.expires_at,
                }
        result["loyalty"] = list(programs.values())
    if "audiences" in sections:
        result["audiences"] = [
            {
                "id": m.audience_id,
                "name": m.audience.name,
                "source": m.source,
                "added_at": m.added_at,
            }
            for m in AudienceMembership.objects.filter(profile=profile).select_related("audience")
        ]
    if "groups" in sections:
        result["groups"] = [
            {"id": m.group_id, "name": m.group.name, "system": m.group.system,
             "automatic": m.group.automatic, "added_at": m.added_at}
            for m in MembersGroupMember.objects.filter(profile=profile).select_related("group")
        ]  # fmt: skip
    if "memberships" in sections:
        result["memberships"] = list(
            LoyaltyMembership.objects.filter(profile=profile, deleted_at__isnull=True)
            .annotate(tier_id=engine_tier())
            .values("id", "program_id", "code", "is_primary", "state", "tier_id", "expiration_date")
        )
    return result


def _engine_assignments():
    return TierAssignment.objects.filter(
        account__subledger_id="", structure__status=TierStructure.Status.ACTIVE
    )


def ledger_points():
    """An expression over LoyaltyMembership rows: the active points of the customer's main
    ledger in the membership's program (None without an account; the stored points stand in
    then)."""
    return Subquery(
        PointsAccount.objects.filter(
            program_id=OuterRef("program_id"), profile_id=OuterRef("profile_id"), subledger_id=""
        ).values("active_points")[:1]
    )


def engine_tier():
    """An expression over LoyaltyMembership rows: the tier the tier engine gives the
    membership's customer in its program (None without an active structure)."""
    return Subquery(
        _engine_assignments()
        .filter(program_id=OuterRef("program_id"), account__profile_id=OuterRef("profile_id"))
        .values("tier_id")[:1],
        output_field=UUIDField(),  # read back as a UUID on SQLite too
    )


def engine_tiers(memberships) -> dict:
    """{(program id, profile id): tier id} for these memberships, in one query."""
    return {
        (program_id, profile_id): tier_id
        for program_id, profile_id, tier_id in _engine_assignments()
        .filter(
            program_id__in={m.program_id for m in memberships},
            account__profile_id__in={m.profile_id for m in memberships},
        )
        .values_list("program_id", "account__profile_id", "tier_id")
    }


def filter_memberships(
    queryset,
    *,
    ids=None,
    profiles=None,
    programs=None,
    states=None,
    activity_state: str = "active",
    updated_after=None,
    updated_before=None,
):
    """Memberships by ids, profiles (integration ids), programs, states, activity state
    (active, deleted or all) and update time: what the list's query string and the POST
    search both filter by."""
    if ids:
        queryset = queryset.filter(id__any=list(ids))
    if profiles:
        queryset = queryset.filter(profile__integration_id__any=list(profiles))
    if programs:
        queryset = queryset.filter(program_id__any=list(programs))
    if states:
        queryset = queryset.filter(state__in=list(states))
    if updated_after is not None:
        queryset = queryset.filter(updated_at__gte=updated_after)
    if updated_before is not None:
        queryset = queryset.filter(updated_at__lt=updated_before)
    if activity_state == "active":
        return queryset.filter(deleted_at__isnull=True)
    if activity_state == "deleted":
        return queryset.filter(deleted_at__isnull=False)
    return queryset
