"""A card-based program's cards and the profiles linked to them."""

from rest_framework import serializers

from core.api.serializers import ModelSerializer, Serializer
from loyalty.models import LoyaltyCard


class LoyaltyCardSerializer(ModelSerializer):
    profiles = serializers.SlugRelatedField(slug_field="integration_id", many=True, read_only=True)

    class Meta:
        model = LoyaltyCard
        fields = (
            "id",
            "number",
            "program",
            "identifier",
            "status",
            "profiles",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "program", "profiles", "created_at", "updated_at")


class LoyaltyCardUpdateSerializer(Serializer):
    status = serializers.ChoiceField(choices=LoyaltyCard.Status.choices)


class LinkProfileSerializer(Serializer):
    integration_id = serializers.CharField(max_length=255)
