from .routing import program_routes
from .views import (
    CardLedgerViewSet,
    DeprecatedProfileLedgerViewSet,
    LoyaltyCardViewSet,
    LoyaltyProgramViewSet,
    ProfileLedgerViewSet,
    TierStructureViewSet,
    TierViewSet,
)

routes = [
    *program_routes(
        LoyaltyProgramViewSet,
        "loyalty-program",
        nested={
            "loyalty-card": LoyaltyCardViewSet,
            # one ledger viewset, made for each kind of owner
            "loyalty-profile-ledger": ProfileLedgerViewSet,
            "loyalty-card-ledger": CardLedgerViewSet,
            # `profile/{integration_id}/…`, the old path of the profile ledger: one release more
            "loyalty-profile-ledger-deprecated": DeprecatedProfileLedgerViewSet,
        },
    ),
    ("tier-structures", TierStructureViewSet, "tier-structure"),
    ("tiers", TierViewSet, "tier"),
]
