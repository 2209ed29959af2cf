"""Loyalty programs, cards, tier structures and tiers, the points ledger and tier assignments,
one module each; this package is their one import path (`from loyalty.models import …`)."""

from .assignments import TierAssignment, TierChange
from .base import MAX_DAYS, listing_index, validate_timezone
from .ledger import (
    PointsAccount,
    PointsAllocation,
    PointsDailyTotal,
    PointsLot,
    PointsTransaction,
)
from .programs import LoyaltyCard, LoyaltyProgram
from .tiers import PeriodUnit, Tier, TierStructure

__all__ = [
    "MAX_DAYS",
    "LoyaltyCard",
    "LoyaltyProgram",
    "PeriodUnit",
    "PointsAccount",
    "PointsAllocation",
    "PointsDailyTotal",
    "PointsLot",
    "PointsTransaction",
    "Tier",
    "TierAssignment",
    "TierChange",
    "TierStructure",
    "listing_index",
    "validate_timezone",
]
