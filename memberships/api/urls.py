from .views import CustomerInventoryViewSet, LoyaltyMembershipViewSet, MembersGroupViewSet

routes = [
    ("loyalty-memberships", LoyaltyMembershipViewSet, "loyalty-membership"),
    ("member-groups", MembersGroupViewSet, "member-group"),
    # only the detail route /customer-profiles/{integration_id}/inventory
    ("customer-profiles", CustomerInventoryViewSet, "customer-inventory"),
]
