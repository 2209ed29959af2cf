"""Shapes of the loyalty API, one module an area (business rules live in the services; these
check types):

- programs.py: loyalty programs;
- cards.py: a card-based program's cards and their linked profiles;
- structures.py: tier structures (Voucherify's nested payload), tiers, ladders, previews;
- ledger.py: points writes, transactions, lots, balances, their query parameters, tier history;
- fields.py: `ScopedPrimaryKeyField`, the organization-scoped foreign key input other apps'
  APIs use too.

The names below stay importable from `loyalty.api.serializers`.
"""

from .cards import LinkProfileSerializer, LoyaltyCardSerializer, LoyaltyCardUpdateSerializer
from .fields import ScopedPrimaryKeyField
from .ledger import (
    AddPointsSerializer,
    BalanceSerializer,
    BalancesQuerySerializer,
    BalancesSerializer,
    DeductPointsSerializer,
    PointsLotSerializer,
    PointsQuerySerializer,
    PointsTransactionSerializer,
    PointsWriteSerializer,
    TierChangeSerializer,
    TransactionsQuerySerializer,
)
from .programs import LoyaltyProgramSerializer
from .structures import (
    STRUCTURE_ERROR_FIELDS,
    CalendarDateSerializer,
    CalendarExpirationSerializer,
    DowngradeSerializer,
    ExpirationSerializer,
    GracePeriodSerializer,
    LadderRowSerializer,
    PeriodSerializer,
    PointEarnedSerializer,
    PreviewRowSerializer,
    RollingExpirationSerializer,
    SlidingExpirationSerializer,
    TierCreateSerializer,
    TierInputSerializer,
    TierPatchSerializer,
    TierSerializer,
    TierStructureSerializer,
    TierStructureUpdateSerializer,
    TierStructureWriteSerializer,
    structure_fields,
)

__all__ = [
    "STRUCTURE_ERROR_FIELDS",
    "AddPointsSerializer",
    "BalanceSerializer",
    "BalancesQuerySerializer",
    "BalancesSerializer",
    "CalendarDateSerializer",
    "CalendarExpirationSerializer",
    "DeductPointsSerializer",
    "DowngradeSerializer",
    "ExpirationSerializer",
    "GracePeriodSerializer",
    "LadderRowSerializer",
    "LinkProfileSerializer",
    "LoyaltyCardSerializer",
    "LoyaltyCardUpdateSerializer",
    "LoyaltyProgramSerializer",
    "PeriodSerializer",
    "PointEarnedSerializer",
    "PointsLotSerializer",
    "PointsQuerySerializer",
    "PointsTransactionSerializer",
    "PointsWriteSerializer",
    "PreviewRowSerializer",
    "RollingExpirationSerializer",
    "ScopedPrimaryKeyField",
    "SlidingExpirationSerializer",
    "TierChangeSerializer",
    "TierCreateSerializer",
    "TierInputSerializer",
    "TierPatchSerializer",
    "TierSerializer",
    "TierStructureSerializer",
    "TierStructureUpdateSerializer",
    "TierStructureWriteSerializer",
    "TransactionsQuerySerializer",
    "structure_fields",
]
