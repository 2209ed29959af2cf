"""Talon's request bodies, checked as its SDK builds them (camelCase names; keys the SDK may
add in later versions are ignored, as Talon ignores them)."""

from rest_framework import serializers

from campaigns.services import MAX_ITEMS
from customers.validators import validate_attributes


class Attributes(serializers.DictField):
    """A JSON object of attributes, checked as our API checks them."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [validate_attributes])
        super().__init__(**kwargs)


class AudiencesChanges(serializers.Serializer):
    adds = serializers.ListField(child=serializers.IntegerField(), required=False)
    deletes = serializers.ListField(child=serializers.IntegerField(), required=False)


class ProfileRequest(serializers.Serializer):
    attributes = Attributes(required=False)
    audiencesChanges = AudiencesChanges(required=False, allow_null=True)
    responseContent = serializers.ListField(child=serializers.CharField(), required=False)


class ProfilesItem(serializers.Serializer):
    integrationId = serializers.CharField(max_length=1000)
    attributes = Attributes(required=False)


class ProfilesRequest(serializers.Serializer):
    customerProfiles = ProfilesItem(many=True, required=False, max_length=1000)


class NewAudience(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)


class UpdateAudience(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class AudienceItem(serializers.Serializer):
    action = serializers.ChoiceField(choices=["add", "delete"])
    profileIntegrationId = serializers.CharField(max_length=1000)
    audienceId = serializers.IntegerField()


class CustomerAudiences(serializers.Serializer):
    data = AudienceItem(many=True, required=False, max_length=10_000)


class CardRegistration(serializers.Serializer):
    integrationId = serializers.CharField(max_length=1000)


class CartItem(serializers.Serializer):
    sku = serializers.CharField(max_length=255)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=0, max_value=1_000_000)
    price = serializers.DecimalField(
        max_digits=18, decimal_places=4, min_value=0, max_value=10**12, required=False
    )
    category = serializers.CharField(max_length=255, required=False, allow_blank=True)
    attributes = Attributes(required=False)


class NewSession(serializers.Serializer):
    profileId = serializers.CharField(max_length=255, required=False, allow_blank=True)
    storeIntegrationId = serializers.CharField(max_length=255, required=False)
    state = serializers.ChoiceField(
        choices=["open", "closed", "cancelled", "partially_returned"], required=False
    )
    cartItems = CartItem(many=True, required=False, max_length=MAX_ITEMS)
    loyaltyCards = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, max_length=1
    )
    attributes = Attributes(required=False)
    couponCodes = serializers.ListField(child=serializers.CharField(), required=False)
    referralCode = serializers.CharField(required=False, allow_blank=True)


class SessionRequest(serializers.Serializer):
    customerSession = NewSession()
    responseContent = serializers.ListField(child=serializers.CharField(), required=False)


class ReturnedItem(serializers.Serializer):
    position = serializers.IntegerField(min_value=0)
    quantity = serializers.IntegerField(min_value=1, required=False)


class NewReturn(serializers.Serializer):
    returnedCartItems = ReturnedItem(many=True, max_length=MAX_ITEMS)


class ReturnRequest(serializers.Serializer):
    def get_fields(self):
        return {"return": NewReturn()}  # `return` is a Python keyword


class EventRequest(serializers.Serializer):
    profileId = serializers.CharField(max_length=255)
    type = serializers.CharField(max_length=100)
    attributes = Attributes(required=False)
    storeIntegrationId = serializers.CharField(max_length=255, required=False)
