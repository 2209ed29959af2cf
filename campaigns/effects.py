"""Earning-rule effects: what a rule does when it applies. A rule carries one or more:

- `{"type": "add_points", "points": 50}`: a fixed number of points;
- `{"type": "points_per_amount", "points": 1, "per": "1.00", "rounding": "down" | "half_up",
  "cap": 500, "skus": [...], "categories": [...]}`: points per amount spent, on the whole cart
  or on the items whose sku or category is listed, capped per session;
- `{"type": "multiply", "factor": "2"}`: the points the program's earlier rules gave in this
  run, again times (factor - 1), e.g. "double points for Gold" with a tier condition.

Every points effect may also say `subledger_id`, `pending_days` and `validity_days` (these two
override the program's). The arithmetic is exact (Decimal); `item_points` splits an effect's
points over the cart positions that earned them (largest remainder), so a return can take back
what the returned items earned.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from loyalty.ledger import MAX_AMOUNT

TYPES = ("add_points", "points_per_amount", "multiply")
ROUNDING = {"down": ROUND_DOWN, "half_up": ROUND_HALF_UP}
MAX_EFFECTS = 10
OPTIONS = ("subledger_id", "pending_days", "validity_days")
ALLOWED_KEYS = {
    "add_points": {"type", "points", *OPTIONS},
    "points_per_amount": {
        "type",
        "points",
        "per",
        "rounding",
        "cap",
        "skus",
        "categories",
        *OPTIONS,
    },
    "multiply": {"type", "factor", *OPTIONS},
}


@dataclass(frozen=True)
class Line:
    """A cart line as effects see it: its position, what it is, and what it cost."""

    position: int
    sku: str
    category: str
    amount: Decimal  # price x quantity


@dataclass
class Points:
    """Points an effect gives, and which cart positions earned them."""

    amount: int
    item_points: dict[int, int] = field(default_factory=dict)


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _whole(value, *, minimum: int, maximum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum


def _check(effect: Mapping) -> str | None:
    kind = effect.get("type")
    if kind not in TYPES:
        return f"type must be one of {', '.join(TYPES)}."
    unknown = set(effect) - ALLOWED_KEYS[kind]
    if unknown:
        return f"{kind} does not take {', '.join(sorted(unknown))}."
    if kind == "add_points" and not _whole(effect.get("points"), minimum=1, maximum=MAX_AMOUNT):
        return "points must be a whole number from 1."
    if kind == "points_per_amount":
        if not _whole(effect.get("points"), minimum=1, maximum=MAX_AMOUNT):
            return "points must be a whole number from 1."
        per = _decimal(effect.get("per", "1"))
        if per is None or per <= 0:
            return "per must be an amount above 0."
        if effect.get("rounding", "down") not in ROUNDING:
            return "rounding must be down or half_up."
        cap = effect.get("cap")
        if cap is not None and not _whole(cap, minimum=1, maximum=MAX_AMOUNT):
            return "cap must be a whole number from 1, or null."
        for key in ("skus", "categories"):
            names = effect.get(key, [])
            if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
                return f"{key} must be a list of names."
    if kind == "multiply":
        factor = _decimal(effect.get("factor"))
        if factor is None or not 1 < factor <= 100:
            return "factor must be a number above 1 (at most 100)."
    for key in ("pending_days", "validity_days"):
        if key in effect and not _whole(effect[key], minimum=0, maximum=36_500):
            return f"{key} must be a whole number of days."
    subledger = effect.get("subledger_id", "")
    if not isinstance(subledger, str) or len(subledger) > 100:
        return "subledger_id must be a name of at most 100 characters."
    return None


def validate_effects(effects) -> list[dict]:
    if not isinstance(effects, list) or not effects:
        raise ValidationError({"effects": "Send a list of at least one effect."})
    if len(effects) > MAX_EFFECTS:
        raise ValidationError({"effects": f"At most {MAX_EFFECTS} effects per rule."})
    for index, effect in enumerate(effects):
        problem = _check(effect) if isinstance(effect, Mapping) else "send an object."
        if problem:
            raise ValidationError({"effects": f"Effect {index + 1}: {problem}"})
    return [dict(effect) for effect in effects]


def split(total: int, weights: dict[int, Decimal]) -> dict[int, int]:
    """`total` points over positions in proportion to `weights`, summing exactly to `total`
    (each gets its floor, the rest goes to the largest remainders, then the lower position)."""
    whole = sum(weights.values())
    if total <= 0 or whole <= 0:
        return {}
    shares = {p: Decimal(total) * w / whole for p, w in weights.items() if w > 0}
    result = {p: int(s.to_integral_value(ROUND_DOWN)) for p, s in shares.items()}
    left = total - sum(result.values())
    for position in sorted(shares, key=lambda p: (-(shares[p] - result[p]), p))[:left]:
        result[position] += 1
    return {p: n for p, n in result.items() if n}


def per_amount(effect: Mapping, lines: list[Line]) -> Points:
    skus, categories = set(effect.get("skus", [])), set(effect.get("categories", []))
    if skus or categories:
        lines = [line for line in lines if line.sku in skus or line.category in categories]
    weights = {line.position: line.amount for line in lines if line.amount > 0}
    base = sum(weights.values(), Decimal(0))
    raw = base / _decimal(effect.get("per", "1")) * effect["points"]
    amount = int(raw.quantize(Decimal(1), rounding=ROUNDING[effect.get("rounding", "down")]))
    if effect.get("cap") is not None:
        amount = min(amount, effect["cap"])
    amount = min(amount, MAX_AMOUNT)
    return Points(amount=amount, item_points=split(amount, weights))


def multiplied(effect: Mapping, earlier: list[Points]) -> Points:
    extra = _decimal(effect["factor"]) - 1
    amount = int((sum(p.amount for p in earlier) * extra).to_integral_value(ROUND_DOWN))
    weights: dict[int, Decimal] = {}
    for points in earlier:
        for position, n in points.item_points.items():
            weights[position] = weights.get(position, Decimal(0)) + n
    return Points(amount=min(amount, MAX_AMOUNT), item_points=split(amount, weights))
