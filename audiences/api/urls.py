from .views import (
    AudienceGroupViewSet,
    AudienceImportViewSet,
    AudienceViewSet,
    CustomerAudiencesViewSet,
)

routes = [
    ("audiences", AudienceViewSet, "audience"),
    ("audience-groups", AudienceGroupViewSet, "audience-group"),
    ("customer-audiences", CustomerAudiencesViewSet, "customer-audiences"),
    ("imports", AudienceImportViewSet, "audience-import"),
]
