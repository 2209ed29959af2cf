"""Rate limits per API key (or staff user), counted in the shared cache (Redis when
`REDIS_URL` is set), so every process of every server counts against the same limit."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Every request of one key: `DEFAULT_THROTTLE_RATES["api_key"]` (6,000/min)."""

    scope = "api_key"

    def get_rate(self):
        # read at call time, so a changed setting applies without re-importing the class
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)

    def get_cache_key(self, request, view):
        if getattr(request.auth, "pk", None) is not None:  # an API key (organizations)
            ident = f"key:{request.auth.pk}"
        elif getattr(request.user, "is_authenticated", False):
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class BatchRateThrottle(ApiKeyRateThrottle):
    """Writes of batch, bulk and import actions (a view's `batch_actions`):
    `DEFAULT_THROTTLE_RATES["batch"]` (600/min)."""

    scope = "batch"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS or getattr(view, "action", None) not in getattr(
            view, "batch_actions", ()
        ):
            return True
        return super().allow_request(request, view)
