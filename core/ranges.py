"""Ladders of ranges (loyalty tiers, tier-range audiences): unique orders that rise with the
ranges, well-formed and non-overlapping inclusive ranges, with messages that name the other
rung."""

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class Rung:
    name: str
    order: int | None
    low: int | None
    high: int | None  # None: no upper limit


def range_label(low, high) -> str:
    upper = "∞" if high is None else f"{high:,}"
    return f"{low:,} to {upper}"


def _label(rung: Rung) -> str:
    return f"“{rung.name}” (order {rung.order}, {range_label(rung.low, rung.high)})"


def ladder_errors(
    rungs: list[Rung], *, noun: str = "Tier", low: str = "min_points", high: str = "max_points"
) -> list[str]:
    """Messages for every problem, each starting "<noun> <position> (“name”)"; [] if fine."""
    errors: list[str] = []
    by_order: dict[int, Rung] = {}
    for index, rung in enumerate(rungs):
        prefix = f"{noun} {index + 1} (“{rung.name}”)"
        if rung.low is None or rung.low < 0:
            errors.append(f"{prefix}: {low} must be 0 or more.")
            continue
        if rung.high is not None and rung.high < rung.low:
            errors.append(f"{prefix}: {high} must not be below {low}.")
            continue
        if rung.order in by_order:
            other = _label(by_order[rung.order])
            errors.append(f"{prefix}: order {rung.order} is already used by {other}.")
            continue
        by_order[rung.order] = rung
    valid = sorted(by_order.values(), key=lambda r: r.low)
    for lower, upper in itertools.pairwise(valid):
        index = rungs.index(upper) + 1
        if lower.high is None or lower.high >= upper.low:
            errors.append(
                f"{noun} {index} (“{upper.name}”): range {range_label(upper.low, upper.high)} "
                f"overlaps {_label(lower)}."
            )
        elif None not in (lower.order, upper.order) and upper.order <= lower.order:
            # the ladder reads one way: a higher range is a higher order
            errors.append(
                f"{noun} {index} (“{upper.name}”): order {upper.order} must be above the "
                f"order of {_label(lower)}, whose range is lower."
            )
    return errors
