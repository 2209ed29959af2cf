"""`POST /audiences/loyalty-tiers` → audiences.services.create_tier_audiences, with the
seed's body (no program: the ranges are kept, members come from imports and the API)."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from audiences import services
from audiences.models import Audience, AudienceImport
from audiences.selectors import ACTORS, sync_sources_with_actors
from core.api.parsers import JSONParser
from organizations.tenancy import request_actor, request_organization

from . import shapes


class Tier(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    order = serializers.IntegerField(min_value=1, max_value=1000)
    startValue = serializers.IntegerField(min_value=0, max_value=10**12)
    endValue = serializers.IntegerField(
        min_value=0, max_value=10**12, required=False, allow_null=True
    )
    iconName = serializers.CharField(max_length=100, required=False, allow_blank=True)


class LoyaltyTiers(serializers.Serializer):
    groupName = serializers.CharField(max_length=200)
    tiers = Tier(many=True, allow_empty=False, max_length=100)


@extend_schema(exclude=True)  # Fanfare's contract, not ours
class LoyaltyTiersView(APIView):
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    def post(self, request):
        body = LoyaltyTiers(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        group, created = services.create_tier_audiences(
            organization=request_organization(request),
            group_name=data["groupName"],
            tiers=[
                {
                    "name": tier["name"],
                    "order": tier["order"],
                    "start_value": tier["startValue"],
                    "end_value": tier.get("endValue"),
                    "icon_name": tier.get("iconName", ""),
                }
                for tier in data["tiers"]
            ],
            actor=request_actor(request),
        )
        audiences = (
            Audience.objects.filter(pk__in=[a.pk for a in created])
            .select_related("group", *ACTORS)
            .prefetch_related(
                "rules",
                sync_sources_with_actors(),
                Prefetch(
                    "imports",
                    queryset=AudienceImport.objects.select_related("created_by", "created_by_key"),
                ),
            )
            .order_by("order")
        )
        return Response(
            {"audiences": [shapes.audience(a) for a in audiences], "tierGroup": group.name},
            status=status.HTTP_201_CREATED,
        )
