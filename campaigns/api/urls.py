from .views import CustomerSessionViewSet, EarningRuleViewSet, EventViewSet

routes = [
    ("customer-sessions", CustomerSessionViewSet, "customer-session"),
    ("events", EventViewSet, "event"),
    ("earning-rules", EarningRuleViewSet, "earning-rule"),
]
