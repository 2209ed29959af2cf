"""Coupons, referrals and the catalog come with their own issue; until then their methods
answer 501 in Talon's shape (after the key is checked, like any method)."""

from rest_framework import status
from rest_framework.response import Response

from ..base import TalonView
from ..errors import talon_error


class NotYetView(TalonView):
    def _not_yet(self, request, *args, **kwargs):
        message = "Coupons, referrals and catalogs are not available yet."
        return Response(
            {**talon_error(message), "StatusCode": 501}, status=status.HTTP_501_NOT_IMPLEMENTED
        )

    get = post = put = delete = _not_yet
