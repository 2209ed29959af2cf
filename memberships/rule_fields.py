"""Audience rule fields about memberships, registered into `audiences.rules` at startup
(memberships/apps.py), so audiences does not import memberships:
- `membership.state.<program id>`: the state of the profile's (active) loyalty membership in
  the program (new, pending, enrolled, canceled, declined);
- `member_groups`: the ids of the member groups the profile is in."""

from django.db.models import Exists, OuterRef, Q

from audiences.rules import RuleField, check_ids

from .models import LoyaltyMembership, MembersGroup, MembersGroupMember


def _check_states(values: list) -> str | None:
    if not all(isinstance(v, str) for v in values):
        return "values must be text."
    if not set(values) <= set(LoyaltyMembership.State.values):
        return "values must be membership states: " + ", ".join(LoyaltyMembership.State.values)
    return None


def _compile_state(*, operator: str, values: list, organization, program) -> Q:
    held = LoyaltyMembership.objects.filter(
        profile=OuterRef("pk"), program_id=program.pk, deleted_at__isnull=True
    )
    if operator in ("exists", "not_exists"):
        return Q(Exists(held)) if operator == "exists" else ~Q(Exists(held))
    states = values if operator in ("in", "not_in") else values[:1]
    in_state = Q(Exists(held.filter(state__in=states)))
    return in_state if operator in ("eq", "in") else ~in_state


def _compile_groups(*, operator: str, values: list, organization, program) -> Q:
    member = MembersGroupMember.objects.filter(profile=OuterRef("pk"), organization=organization)
    if operator in ("in", "not_in"):
        member = member.filter(group_id__in=values)
    return Q(Exists(member)) if operator in ("in", "exists") else ~Q(Exists(member))


def _state_choices(*, organization, program) -> list:
    return list(LoyaltyMembership.State.choices)


def _group_choices(*, organization, program) -> list:
    return [
        (str(pk), name)
        for pk, name in MembersGroup.objects.filter(organization=organization)
        .order_by("name")
        .values_list("pk", "name")[:500]
    ]


MEMBERSHIP_STATE = RuleField(
    name="membership.state.",
    operators=frozenset({"eq", "neq", "in", "not_in", "exists", "not_exists"}),
    check_values=_check_states,
    compile=_compile_state,
    label="Membership state in",
    choices=_state_choices,
)
MEMBER_GROUPS = RuleField(
    name="member_groups",
    operators=frozenset({"in", "not_in", "exists", "not_exists"}),
    check_values=lambda values: check_ids(values, "member group"),
    compile=_compile_groups,
    label="Member groups",
    choices=_group_choices,
)
