"""Viewsets of the loyalty API, one module a job:

- programs.py: programs;
- cards.py: a card-based program's cards (list, create, read, (de)activate, link a profile);
- ledger.py: the points ledger of a profile or a card: one viewset, made for each mount
  (`ProfileLedgerViewSet`, `CardLedgerViewSet`, and `DeprecatedProfileLedgerViewSet` at the
  profile's old singular path, for one release);
- structures.py: tier structures and tiers;
- owners.py: the base of the viewsets whose routes sit under a program and name one of its
  owners (`ProgramOwnerViewSet`; the `PROFILE`, `CARD` and `DEPRECATED_PROFILE` mounts), where
  the owner is found.

`loyalty.api.urls` registers them (`loyalty.api.routing.program_routes` for those under a
program).
"""

from .cards import LoyaltyCardViewSet
from .ledger import (
    CardLedgerViewSet,
    DeprecatedProfileLedgerViewSet,
    ProfileLedgerViewSet,
    ledger_viewset,
)
from .programs import LoyaltyProgramViewSet
from .structures import TierStructureViewSet, TierViewSet

__all__ = [
    "CardLedgerViewSet",
    "DeprecatedProfileLedgerViewSet",
    "LoyaltyCardViewSet",
    "LoyaltyProgramViewSet",
    "ProfileLedgerViewSet",
    "TierStructureViewSet",
    "TierViewSet",
    "ledger_viewset",
]
