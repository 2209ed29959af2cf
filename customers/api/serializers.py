from rest_framework import serializers

from core.api.serializers import JSONObjectField, ModelSerializer, Serializer
from customers.models import CustomerProfile
from customers.services import BULK_UPSERT_LIMIT
from customers.validators import validate_attributes, validate_msisdn


class CustomerProfileSerializer(ModelSerializer):
    # a plain string: empty when the profile has no email (a blank is no email "format")
    email = serializers.CharField(read_only=True, help_text="Lower-cased; empty when unknown.")

    class Meta:
        model = CustomerProfile
        fields = (
            "id",
            "number",
            "integration_id",
            "email",
            "msisdn",
            "first_name",
            "last_name",
            "attributes",
            "personal_data_deleted_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class CustomerProfileWriteSerializer(Serializer):
    """Fields you send change; fields you leave out stay. `attributes` are merged: keys sent
    are set, keys sent as null are removed."""

    integration_id = serializers.CharField(max_length=255, required=False)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    msisdn = serializers.CharField(
        max_length=16, required=False, allow_blank=True, validators=[validate_msisdn]
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    attributes = JSONObjectField(required=False)

    def validate_attributes(self, value):
        validate_attributes(value)
        return value


class CustomerProfileBulkItemSerializer(CustomerProfileWriteSerializer):
    integration_id = serializers.CharField(max_length=255)


class CustomerProfileBulkUpsertSerializer(Serializer):
    customer_profiles = CustomerProfileBulkItemSerializer(
        many=True, allow_empty=False, max_length=BULK_UPSERT_LIMIT
    )


class CustomerProfileBulkResultSerializer(Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    customer_profiles = CustomerProfileSerializer(many=True)
