"""Loyalty programs."""

from core.api.serializers import ModelSerializer
from loyalty.models import LoyaltyProgram
from loyalty.services import PROGRAM_FIELDS


class LoyaltyProgramSerializer(ModelSerializer):
    class Meta:
        model = LoyaltyProgram
        fields = ("id", "number", *PROGRAM_FIELDS, "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")
        extra_kwargs = {"name": {"max_length": 200}}
