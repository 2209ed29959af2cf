"""Points ledger writes: earn, spend, adjust, and settling due lots (activation and expiry).

Every write locks the account's balance row (`PointsAccount`, one row per profile or card and
subledger) with SELECT … FOR UPDATE, so concurrent writes to one customer queue up instead of
losing updates; writes to different customers run in parallel. A write first settles the
account (activates and expires the lots that are due), so the cached counters and the lots a
spend may consume are exact at that moment even if the beat task has not run yet.
"""

from .sessions import Earning, earn_points_batch, take_pending_points
from .settle import due_account_ids, settle_account, settle_accounts
from .writes import (
    EARN_KINDS,
    MAX_AMOUNT,
    SPEND_KINDS,
    InsufficientPoints,
    Kind,
    adjust_points,
    earn_points,
    lock_account,
    spend_points,
)

__all__ = [
    "EARN_KINDS",
    "MAX_AMOUNT",
    "SPEND_KINDS",
    "Earning",
    "InsufficientPoints",
    "Kind",
    "adjust_points",
    "due_account_ids",
    "earn_points",
    "earn_points_batch",
    "lock_account",
    "settle_account",
    "settle_accounts",
    "spend_points",
    "take_pending_points",
]
