"""The `audiences` rule field: the ids of the audiences a profile is in (`in`, `not_in`,
`exists`, `not_exists`), e.g. an earning rule for the members of "VIP", or an audience made of
two others. An audience's membership is as its last refresh or import left it: a rule over
another audience follows that one's refreshes, and one over itself keeps its members."""

from django.db.models import Exists, OuterRef, Q

from .models import Audience, AudienceMembership
from .rules import RuleField, check_ids


def _compile(*, operator: str, values: list, organization, program) -> Q:
    member = AudienceMembership.objects.filter(
        profile=OuterRef("pk"), audience__organization=organization
    )
    if operator in ("in", "not_in"):
        member = member.filter(audience_id__in=values)
    return Q(Exists(member)) if operator in ("in", "exists") else ~Q(Exists(member))


def _choices(*, organization, program) -> list:
    return [
        (str(pk), name)
        for pk, name in Audience.objects.filter(organization=organization, archived=False)
        .order_by("name")
        .values_list("pk", "name")[:500]
    ]


AUDIENCES = RuleField(
    name="audiences",
    operators=frozenset({"in", "not_in", "exists", "not_exists"}),
    check_values=lambda values: check_ids(values, "audience"),
    compile=_compile,
    label="Audiences",
    choices=_choices,
)
