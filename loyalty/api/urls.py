from .views import LoyaltyProgramViewSet, TierStructureViewSet, TierViewSet

routes = [
    ("loyalty-programs", LoyaltyProgramViewSet, "loyalty-program"),
    ("tier-structures", TierStructureViewSet, "tier-structure"),
    ("tiers", TierViewSet, "tier"),
]
