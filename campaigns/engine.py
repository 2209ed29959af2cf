"""The rules engine: which of a program's earning rules apply to a session or an event, and
the points their effects give. It plans; services/ write the plan to the ledger.

Rules are parsed and their profile conditions compiled once per rule version (`updated_at`)
and kept in a small per-process cache. One query loads the active rules of a trigger; one more
answers every profile condition of all of them for the profile (a boolean per condition group,
as annotations on the profile's row), whatever the number of rules or cart items. Its SQL is
built once per set of rule versions and kept too: building it cost ten times running it.
"""

import datetime as dt
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import BooleanField, Case, Q, Value, When

from audiences.rules import Rule, compile_rules
from customers.models import CustomerProfile
from loyalty.models import LoyaltyProgram

from . import effects as fx
from .conditions import Facts, fact_holds, grouped, is_profile_field
from .models import EarningRule

CACHE_SIZE = 2048


@dataclass(frozen=True)
class Group:
    facts: tuple[Rule, ...]  # session/event conditions, checked in Python
    profile: object | None  # the compiled profile conditions (audiences.rules.Compiled)


@dataclass(frozen=True)
class CompiledRule:
    rule: EarningRule
    groups: tuple[Group, ...]  # any group may hold; no group: always holds
    effects: tuple[dict, ...]


@dataclass
class Planned:
    """One effect to apply: `amount` points to the program's (sub)ledger."""

    rule: EarningRule
    program: LoyaltyProgram
    amount: int
    card: object | None = None  # the loyalty card credited, in a card-based program
    subledger_id: str = ""
    reason: str = ""
    item_points: dict = field(default_factory=dict)
    pending_days: int | None = None
    validity_days: int | None = None


_cache: OrderedDict = OrderedDict()


def compiled(rule: EarningRule) -> CompiledRule:
    """The rule with its conditions parsed and compiled. Only that work is cached (by rule
    version); the rule and its program are the ones just read, so a program's settings
    (pending days, validity, status) are never stale."""
    key = (rule.pk, rule.updated_at)
    groups = _cache.get(key)
    if groups is None:
        groups = _cache[key] = _compile_groups(rule)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return CompiledRule(rule=rule, groups=groups, effects=tuple(rule.effects))


def _compile_groups(rule: EarningRule) -> tuple[Group, ...]:
    groups = []
    for conditions in grouped([Rule.of(c) for c in rule.conditions]).values():
        profile_rules = [c for c in conditions if is_profile_field(c.field)]
        groups.append(
            Group(
                facts=tuple(c for c in conditions if not is_profile_field(c.field)),
                profile=compile_rules(
                    organization=rule.organization,
                    rules=[{**c.__dict__, "condition_group": 0} for c in profile_rules],
                )
                if profile_rules
                else None,
            )
        )
    return tuple(groups)


def active_rules(*, organization, trigger: str, now: dt.datetime, event_type: str = ""):
    """The organization's active rules for a trigger, valid now, of active programs, in the
    order they run."""
    rules = EarningRule.objects.filter(
        organization=organization,
        trigger=trigger,
        status=EarningRule.Status.ACTIVE,
        program__status=LoyaltyProgram.Status.ACTIVE,
    ).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=now),
        Q(ends_at__isnull=True) | Q(ends_at__gt=now),
    )
    if trigger == EarningRule.Trigger.EVENT:
        rules = rules.filter(event_type=event_type)
    rules = rules.select_related("program").order_by("program_id", "priority", "created_at", "id")
    compiled_rules = []
    for rule in rules:
        rule.organization = rule.program.organization = organization  # known: not read again
        compiled_rules.append(compiled(rule))
    return compiled_rules


def _profile_answers(profile: CustomerProfile | None, rules: list[CompiledRule]) -> dict:
    """{(rule index, group index): bool} for every group with profile conditions, in one
    query. No profile: no profile condition holds."""
    wanted = [
        (r, g)
        for r, rule in enumerate(rules)
        for g, group in enumerate(rule.groups)
        if group.profile is not None
    ]
    if not wanted:
        return {}
    if profile is None:
        return dict.fromkeys(wanted, False)
    sql, params, at = _answers_query(rules, wanted)
    params = list(params)
    params[at] = CustomerProfile._meta.pk.get_db_prep_value(profile.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone() or [False] * len(wanted)
    return {key: bool(holds) for key, holds in zip(wanted, row, strict=True)}


_SOMEONE = uuid.UUID(int=0)  # the profile in a cached answers query, replaced when it runs
_queries: OrderedDict = OrderedDict()


def _answers_query(rules: list[CompiledRule], wanted: list) -> tuple[str, tuple, int]:
    """The SQL that answers `wanted` groups for one profile, its parameters and the index of
    the profile's id among them: built by the ORM once per set of rule versions (compiling
    the conditions costs more than running them), then kept."""
    key = tuple((rules[r].rule.pk, rules[r].rule.updated_at, g) for r, g in wanted)
    query = _queries.get(key)
    if query is not None:
        _queries.move_to_end(key)
        return query
    annotations: dict = {}
    flags = {}
    for r, g in wanted:
        group = rules[r].groups[g].profile
        annotations.update(group.annotations)
        flags[f"holds_{r}_{g}"] = Case(
            When(group.condition, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    queryset = CustomerProfile.objects.filter(pk=_SOMEONE)
    if annotations:
        queryset = queryset.annotate(**annotations)
    sql, params = queryset.annotate(**flags).values(*flags).query.sql_with_params()
    someone = CustomerProfile._meta.pk.get_db_prep_value(_SOMEONE, connection)
    at = [i for i, param in enumerate(params) if param == someone]
    if len(at) != 1:  # never seen; the plain query then
        raise RuntimeError("The profile's id is not a single parameter of the answers query.")
    query = _queries[key] = (sql, tuple(params), at[0])
    while len(_queries) > CACHE_SIZE:
        _queries.popitem(last=False)
    return query


def _holds(r: int, rule: CompiledRule, facts: Facts, answers: dict) -> bool:
    if not rule.groups:
        return True
    return any(
        all(fact_holds(c, facts) for c in group.facts) and answers.get((r, g), True)
        for g, group in enumerate(rule.groups)
    )


def plan(
    *,
    rules: list[CompiledRule],
    profile: CustomerProfile | None,
    facts: Facts,
    lines: list[fx.Line],
    cards: dict | None = None,
) -> list[Planned]:
    """The effects the rules give, in order. A profile-based program credits the profile (an
    anonymous session earns nothing there); a card-based one credits the session's card of
    that program (`cards`: program id -> card), and without one it earns nothing."""
    cards = cards or {}
    if not rules or (profile is None and not cards):
        return []
    answers = _profile_answers(profile, rules)
    planned: list[Planned] = []
    stopped: set = set()
    earned: dict = {}  # program id -> the Points given so far in this run
    for r, rule in enumerate(rules):
        program = rule.rule.program
        card = cards.get(program.pk) if program.kind == LoyaltyProgram.Kind.CARD else None
        if (card is None and program.kind == LoyaltyProgram.Kind.CARD) or (
            profile is None and program.kind == LoyaltyProgram.Kind.PROFILE
        ):
            continue
        if program.pk in stopped or not _holds(r, rule, facts, answers):
            continue
        for effect in rule.effects:
            if effect["type"] == "add_points":
                points = fx.Points(amount=effect["points"])
            elif effect["type"] == "points_per_amount":
                points = fx.per_amount(effect, lines)
            else:
                points = fx.multiplied(effect, earned.get(program.pk, []))
            if points.amount <= 0:
                continue
            earned.setdefault(program.pk, []).append(points)
            planned.append(
                Planned(
                    rule=rule.rule,
                    program=program,
                    amount=points.amount,
                    card=card,
                    subledger_id=effect.get("subledger_id", ""),
                    reason=rule.rule.name[:255],
                    item_points=points.item_points,
                    pending_days=effect.get("pending_days"),
                    validity_days=effect.get("validity_days"),
                )
            )
        if rule.rule.stop_here:
            stopped.add(program.pk)
    return planned


def session_facts(*, lines: list[fx.Line], quantities: int, attributes, store_id) -> Facts:
    return Facts(
        total=sum((line.amount for line in lines), Decimal(0)),
        items_count=quantities,
        skus=frozenset(line.sku for line in lines),
        categories=frozenset(line.category for line in lines if line.category),
        session_attributes=attributes,
        store_id=store_id,
    )
