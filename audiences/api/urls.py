from .views import AudienceGroupViewSet, AudienceViewSet, CustomerAudiencesViewSet

routes = [
    ("audiences", AudienceViewSet, "audience"),
    ("audience-groups", AudienceGroupViewSet, "audience-group"),
    ("customer-audiences", CustomerAudiencesViewSet, "customer-audiences"),
]
