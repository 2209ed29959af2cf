"""A card-based program's cards: the list and new cards (`loyalty-programs/{id}/cards/`), one
card read or (de)activated (`…/cards/{card_identifier}/`) and a profile linked to it
(`…/cards/{card_identifier}/link-profile/`, `…/unlink-profile/`)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from loyalty import owners, services
from loyalty.api.serializers import cards as s
from loyalty.models import LoyaltyCard

from .owners import CARD, ProgramOwnerViewSet


class LoyaltyCardViewSet(ProgramOwnerViewSet):
    """Loyalty programs; their cards and the points ledgers of their profiles and cards."""

    idempotent_actions = frozenset({"cards"})

    def _card(self, program):
        return self.find_owner(owners.CARD, program, self.kwargs[CARD.url_kwarg], "profiles")

    @extend_schema(
        methods=["GET"], responses=s.LoyaltyCardSerializer(many=True), summary="List cards"
    )
    @extend_schema(
        methods=["POST"],
        request=s.LoyaltyCardSerializer,
        responses={201: s.LoyaltyCardSerializer},
        summary="Create a card",
    )
    @action(detail=True, methods=["get", "post"], url_path=CARD.segment)
    def cards(self, request, pk=None):
        program = self.get_object()
        if request.method == "POST":
            data = s.LoyaltyCardSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            card = services.create_loyalty_card(program=program, **data.validated_data)
            return Response(s.LoyaltyCardSerializer(card).data, status=status.HTTP_201_CREATED)
        cards = LoyaltyCard.objects.filter(program=program).prefetch_related("profiles")
        page = self.paginate_queryset(cards)
        return self.get_paginated_response(s.LoyaltyCardSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=s.LoyaltyCardSerializer, summary="Get a card")
    @extend_schema(
        methods=["PATCH"],
        request=s.LoyaltyCardUpdateSerializer,
        responses=s.LoyaltyCardSerializer,
        summary="Activate or deactivate a card",
    )
    @action(detail=True, methods=["get", "patch"], url_path=CARD.path())
    def card(self, request, **kwargs):
        card = self._card(self.get_object())
        if request.method == "PATCH":
            data = s.LoyaltyCardUpdateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            card = services.update_loyalty_card(card=card, **data.validated_data)
        return Response(s.LoyaltyCardSerializer(card).data)

    @extend_schema(
        request=s.LinkProfileSerializer,
        responses={200: s.LoyaltyCardSerializer, 201: s.LoyaltyCardSerializer},
        summary="Link a customer profile to a card",
        description="Linking a profile that is already linked changes nothing (200).",
    )
    @action(detail=True, methods=["post"], url_path=CARD.path("link-profile"))
    def link_profile(self, request, **kwargs):
        program = self.get_object()
        card = self._card(program)
        data = s.LinkProfileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = self.find_owner(owners.PROFILE, program, data.validated_data["integration_id"])
        linked = services.link_card_profile(card=card, profile=profile)
        card = self._card(program)  # with its profiles as they are now
        return Response(
            s.LoyaltyCardSerializer(card).data,
            status=status.HTTP_201_CREATED if linked else status.HTTP_200_OK,
        )

    @extend_schema(
        request=s.LinkProfileSerializer,
        responses={200: s.LoyaltyCardSerializer},
        summary="Unlink a customer profile from a card",
        description="The card keeps its points; unlinking a profile that is not linked "
        "changes nothing.",
    )
    @action(detail=True, methods=["post"], url_path=CARD.path("unlink-profile"))
    def unlink_profile(self, request, **kwargs):
        program = self.get_object()
        card = self._card(program)
        data = s.LinkProfileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = self.find_owner(owners.PROFILE, program, data.validated_data["integration_id"])
        services.unlink_card_profile(card=card, profile=profile)
        return Response(s.LoyaltyCardSerializer(self._card(program)).data)
