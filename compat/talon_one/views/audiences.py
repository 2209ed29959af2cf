"""Audiences: create, rename, delete, clear, members in bulk, members' attributes."""

from rest_framework import status
from rest_framework.response import Response

from audiences import services
from audiences.models import Audience, AudienceMembership

from .. import requests, shapes
from ..base import TalonView, number_id


class AudiencesView(TalonView):
    """create_audience_v2 → audiences.services.create_audience."""

    def post(self, request):
        body = requests.NewAudience(data=request.data)
        body.is_valid(raise_exception=True)
        audience = services.create_audience(
            organization=self.organization, data=dict(body.validated_data), actor=self.actor
        )
        return Response(
            shapes.audience(audience, account=self.organization.number),
            status=status.HTTP_201_CREATED,
        )


class AudienceView(TalonView):
    """update_audience_v2 → services.update_audience; delete_audience_v2 → delete_audience."""

    def _audience(self, audience_id):
        return self.tenant_row(Audience.objects, number=number_id(audience_id))

    def put(self, request, audience_id):
        audience = self._audience(audience_id)
        body = requests.UpdateAudience(data=request.data)
        body.is_valid(raise_exception=True)
        audience = services.update_audience(
            audience=audience, data={"name": body.validated_data["name"]}, actor=self.actor
        )
        return Response(shapes.audience(audience, account=self.organization.number))

    def delete(self, request, audience_id):
        services.delete_audience(audience=self._audience(audience_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AudienceMembershipsView(TalonView):
    """delete_audience_memberships_v2 → services.delete_audience_memberships."""

    def delete(self, request, audience_id):
        audience = self.tenant_row(Audience.objects, number=number_id(audience_id))
        services.delete_audience_memberships(
            memberships=AudienceMembership.objects.filter(audience=audience)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerAudiencesView(TalonView):
    """update_customer_profile_audiences → services.update_customer_audiences."""

    def post(self, request):
        body = requests.CustomerAudiences(data=request.data)
        body.is_valid(raise_exception=True)
        items = body.validated_data.get("data", [])
        audiences = dict(
            Audience.objects.filter(
                organization=self.organization, number__in={i["audienceId"] for i in items}
            ).values_list("number", "pk")
        )
        services.update_customer_audiences(
            organization=self.organization,
            items=[
                {
                    "profile_integration_id": item["profileIntegrationId"],
                    "audience_id": audiences.get(item["audienceId"]),  # None: unknown, a 400
                    "action": item["action"],
                }
                for item in items
            ],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AudienceAttributesView(TalonView):
    """update_audience_customers_attributes → services.set_member_attributes."""

    def put(self, request, audience_id):
        audience = self.tenant_row(Audience.objects, number=number_id(audience_id))
        services.set_member_attributes(audience=audience, attributes=request.data)
        return Response(status=status.HTTP_204_NO_CONTENT)
