from .views import LoyaltyMembershipViewSet, MembersGroupViewSet

routes = [
    ("loyalty-memberships", LoyaltyMembershipViewSet, "loyalty-membership"),
    ("member-groups", MembersGroupViewSet, "member-group"),
]
