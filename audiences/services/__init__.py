"""Every write to audiences, one job per module: `definitions` (audiences, their rules and
refresh schedule), `tier_ranges` (loyalty-tier audiences), `refresh` (the rule diff and
queueing refreshes) and `members` (members, their attributes and counts).

Callers use the package: `from audiences import services; services.create_audience(...)`.
"""

from .definitions import (
    AUDIENCE_FIELDS,
    create_audience,
    delete_audience,
    get_or_create_group,
    update_audience,
)
from .members import (
    MEMBERS_LIMIT,
    add_members,
    clear_members,
    delete_audience_memberships,
    remove_members,
    set_member_attributes,
    update_customer_audiences,
)
from .refresh import enqueue_due_refreshes, refresh_audience, request_refresh
from .tier_ranges import create_tier_audiences, name_tier_program

__all__ = [
    "AUDIENCE_FIELDS",
    "MEMBERS_LIMIT",
    "add_members",
    "clear_members",
    "create_audience",
    "create_tier_audiences",
    "delete_audience",
    "delete_audience_memberships",
    "enqueue_due_refreshes",
    "get_or_create_group",
    "name_tier_program",
    "refresh_audience",
    "remove_members",
    "request_refresh",
    "set_member_attributes",
    "update_audience",
    "update_customer_audiences",
]
