"""The checkout side's writes, one module a job:

- rules.py: earning rules (conditions and effects checked);
- sessions.py: customer sessions: update/close, reopen, returns, cancel;
- events.py: events;
- points.py: the one place effects move points (earn, take back with shortfall).
"""

from .events import EventResult, track_event
from .rules import (
    create_earning_rule,
    delete_earning_rule,
    update_earning_rule,
    validate_earning_rule,
)
from .sessions import (
    MAX_ITEMS,
    SessionResult,
    get_customer_session,
    reopen_customer_session,
    return_cart_items,
    update_customer_session,
)

__all__ = [
    "MAX_ITEMS",
    "EventResult",
    "SessionResult",
    "create_earning_rule",
    "delete_earning_rule",
    "get_customer_session",
    "reopen_customer_session",
    "return_cart_items",
    "track_event",
    "update_customer_session",
    "update_earning_rule",
    "validate_earning_rule",
]
