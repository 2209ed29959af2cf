"""Customer sessions and events: what closes a cart or records an action, answered with the
effects the earning rules applied (campaigns.services)."""

from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from campaigns import services
from campaigns.models import AppliedEffect, CustomerSession, SessionStateChange

from .. import requests, shapes
from ..base import TalonView
from .profiles import empty_effects, profile_shapes

STATES = {"cancelled": CustomerSession.State.CANCELED}  # Talon's spelling → ours


def effect_shapes(effects, profile) -> list[dict]:
    return [shapes.effect(effect, profile=profile) for effect in effects]


class SessionAnswer(TalonView):
    """Talon's IntegrationStateV2 for a session's result."""

    def state(self, result, effects) -> dict:
        session = result.session
        profile = session.profile
        first = (
            profile is None
            or not CustomerSession.objects.filter(
                profile=profile, created_at__lt=session.created_at
            ).exists()
        )
        updates = SessionStateChange.objects.filter(session=session).count()
        answer = {
            "customerSession": shapes.session(
                session,
                result.items,
                application=self.organization.number,
                first=first,
                updates=max(updates - 1, 0),
            ),
            "effects": effect_shapes(effects, profile),
            "createdCoupons": [],
            "createdReferrals": [],
        }
        if profile is not None:
            answer["customerProfile"] = profile_shapes(self.organization, [profile])[0]
        return answer


class SessionView(SessionAnswer):
    """update_customer_session_v2 → campaigns.services.update_customer_session;
    get_customer_session → get_customer_session."""

    def put(self, request, session_id):
        dry = self.query_flag("dry")
        body = requests.SessionRequest(data=request.data)
        body.is_valid(raise_exception=True)
        given = body.validated_data["customerSession"]
        data = {}
        if "profileId" in given:
            data["profile"] = given["profileId"] or None
        if "state" in given:
            data["state"] = STATES.get(given["state"], given["state"])
        if "cartItems" in given:
            data["cart_items"] = [
                {**item, "price": item.get("price", 0)} for item in given["cartItems"]
            ]
        for ours, theirs in (
            ("attributes", "attributes"),
            ("loyalty_cards", "loyaltyCards"),
            ("store_id", "storeIntegrationId"),
        ):
            if theirs in given:
                data[ours] = given[theirs]
        result = services.update_customer_session(
            organization=self.organization,
            session_id=session_id,
            data=data,
            dry=dry,
            actor=self.actor,
        )
        return Response(self.state(result, result.effects))

    def get(self, request, session_id):
        try:
            result = services.get_customer_session(
                organization=self.organization, session_id=session_id
            )
        except CustomerSession.DoesNotExist as exc:
            raise NotFound() from exc
        effects = AppliedEffect.objects.filter(
            pk__in=[e.pk for e in result.effects]
        ).select_related("rule", "program", "transaction__account__card")
        state = self.state(result, effects)
        return Response({"customerSession": state["customerSession"], "effects": state["effects"]})


class ReopenView(TalonView):
    """reopen_customer_session → campaigns.services.reopen_customer_session (the next close
    takes back what the session earned)."""

    def put(self, request, session_id):
        try:
            services.reopen_customer_session(organization=self.organization, session_id=session_id)
        except CustomerSession.DoesNotExist as exc:
            raise NotFound() from exc
        return Response({"effects": []})


class ReturnsView(SessionAnswer):
    """return_cart_items → campaigns.services.return_cart_items (an item without a quantity
    is returned whole: what is left of it)."""

    def post(self, request, session_id):
        dry = self.query_flag("dry")
        body = requests.ReturnRequest(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = body.validated_data["return"]["returnedCartItems"]
        session = self.tenant_row(CustomerSession.objects, session_id=session_id)
        left = {i.position: i.quantity - i.returned_quantity for i in session.items.all()}
        try:
            result = services.return_cart_items(
                organization=self.organization,
                session_id=session_id,
                returned=[
                    {
                        "position": item["position"],
                        "quantity": item.get("quantity", left.get(item["position"], 1)),
                    }
                    for item in wanted
                ],
                dry=dry,
                actor=self.actor,
            )
        except CustomerSession.DoesNotExist as exc:
            raise NotFound() from exc
        return Response(self.state(result, result.effects))


class EventsView(TalonView):
    """track_event_v2 → campaigns.services.track_event."""

    def post(self, request):
        dry = self.query_flag("dry")
        body = requests.EventRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.track_event(
            organization=self.organization,
            profile=data["profileId"],
            type=data["type"],
            attributes=data.get("attributes") or {},
            dry=dry,
            actor=self.actor,
        )
        event = result.event
        profile = event.profile
        shaped_effects = effect_shapes(result.effects, profile)
        return Response(
            {
                **empty_effects(),
                "effects": shaped_effects,
                "customerProfile": profile_shapes(self.organization, [profile])[0],
                "event": {
                    "id": event.number or 0,
                    "created": event.created_at,
                    "applicationId": self.organization.number,
                    "profileId": profile.integration_id,
                    "type": event.type,
                    "attributes": event.attributes,
                    "effects": shaped_effects,
                },
            }
        )
