"""/api/v1/: each app contributes `routes` (prefix, viewset, basename) to one router."""

from audiences.api.urls import routes as audience_routes
from campaigns.api.urls import routes as campaign_routes
from core.api.routers import Router
from customers.api.urls import routes as customer_routes
from loyalty.api.urls import routes as loyalty_routes
from memberships.api.urls import routes as membership_routes

router = Router()
for prefix, viewset, basename in [
    *customer_routes,
    *loyalty_routes,
    *audience_routes,
    *membership_routes,
    *campaign_routes,
]:
    router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
