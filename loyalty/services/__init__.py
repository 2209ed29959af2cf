"""Writes to programs, cards, tier structures and tiers, one module a job:

- programs.py: create, update and delete programs; create and update cards, link profiles;
- structures.py: tier structures and their tiers (the ladder), status transitions;
- validation.py: the rules the API and the admin check too (a structure's settings, ladders,
  metadata);
- fields.py: the columns each service writes, in the groups the API and the admin show.

Points live in `loyalty.ledger`, tier assignment in `loyalty.tiering`. Callers use this package
(`from loyalty import services`); the names below are its public surface.
"""

from .fields import (
    DOWNGRADE_FIELDS,
    EXPIRATION_FIELDS,
    POINT_EARNED_FIELDS,
    PROGRAM_FIELDS,
    STRUCTURE_FIELDS,
    TIER_FIELDS,
)
from .programs import (
    create_loyalty_card,
    create_loyalty_program,
    delete_loyalty_program,
    link_card_profile,
    unlink_card_profile,
    update_loyalty_card,
    update_loyalty_program,
)
from .structures import (
    STRUCTURE_TRANSITIONS,
    create_tier,
    create_tier_structure,
    delete_tier,
    delete_tier_structure,
    set_tier_structure_status,
    update_tier,
    update_tier_structure,
)
from .validation import MAX_PERIOD, validate_metadata, validate_tier_structure, validate_tiers

__all__ = [
    "DOWNGRADE_FIELDS",
    "EXPIRATION_FIELDS",
    "MAX_PERIOD",
    "POINT_EARNED_FIELDS",
    "PROGRAM_FIELDS",
    "STRUCTURE_FIELDS",
    "STRUCTURE_TRANSITIONS",
    "TIER_FIELDS",
    "create_loyalty_card",
    "create_loyalty_program",
    "create_tier",
    "create_tier_structure",
    "delete_loyalty_program",
    "delete_tier",
    "delete_tier_structure",
    "link_card_profile",
    "set_tier_structure_status",
    "unlink_card_profile",
    "update_loyalty_card",
    "update_loyalty_program",
    "update_tier",
    "update_tier_structure",
    "validate_metadata",
    "validate_tier_structure",
    "validate_tiers",
]
