"""Writes to loyalty memberships and member groups, one module a job:

- memberships.py: add, update and soft-delete loyalty memberships (batches), transitions,
  the primary flag;
- all_members.py: the system "All members" group, kept in step with enrolments;
- groups.py: create, update and delete member groups, automatic groups following an
  audience;
- group_members.py: a manual group's members added or removed in bulk by identifier.

Callers use this package (`from memberships import services`); the names below are its
public surface."""

from .all_members import all_members_group, join_all_members_group, sync_all_members_group
from .group_members import IDENTIFIERS_LIMIT, add_group_members, remove_group_members
from .groups import (
    change_group_source,
    create_group,
    delete_group,
    follow_audience,
    follow_audience_groups,
    update_group,
)
from .memberships import (
    BATCH_LIMIT,
    EDITABLE,
    TRANSITIONS,
    State,
    add_memberships,
    delete_memberships,
    update_memberships,
)

__all__ = [
    "BATCH_LIMIT",
    "EDITABLE",
    "IDENTIFIERS_LIMIT",
    "TRANSITIONS",
    "State",
    "add_group_members",
    "add_memberships",
    "all_members_group",
    "change_group_source",
    "create_group",
    "delete_group",
    "delete_memberships",
    "follow_audience",
    "follow_audience_groups",
    "join_all_members_group",
    "remove_group_members",
    "sync_all_members_group",
    "update_group",
    "update_memberships",
]
