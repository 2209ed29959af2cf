from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.errors import reject_oversized_batch
from core.errors import BatchValidationError
from customers import services
from customers.filters import CustomerProfileFilter
from customers.models import CustomerProfile
from organizations.api.viewsets import TenantViewSet

from .serializers import (
    CustomerProfileBulkResultSerializer,
    CustomerProfileBulkUpsertSerializer,
    CustomerProfileSerializer,
    CustomerProfileWriteSerializer,
)


@extend_schema_view(
    list=extend_schema(
        description="Filters beside those listed: `attributes__<name>=<value>` matches profiles "
        "whose attribute equals the value (a number or true/false also matches that JSON value)."
    )
)
class CustomerProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Customer profiles, addressed by the partner's `integration_id`."""

    batch_actions = frozenset({"bulk_update"})
    queryset = CustomerProfile.objects.all()
    serializer_class = CustomerProfileSerializer
    filterset_class = CustomerProfileFilter
    ordering_fields = ("created_at",)
    lookup_field = "integration_id"
    lookup_value_regex = "[^/]+"
    idempotent_actions = frozenset({"update", "bulk_update"})
    documented_error_statuses = {"bulk_update": ("413",)}
    # PUT on another organization's integration_id creates a profile in the caller's own
    # organization: integration ids are per organization (checked by the tenancy test).
    cross_tenant_upsert_actions = frozenset({"update"})

    @extend_schema(
        request=CustomerProfileWriteSerializer,
        responses={200: CustomerProfileSerializer, 201: CustomerProfileSerializer},
        summary="Create or update a customer profile",
    )
    def update(self, request, integration_id: str):
        serializer = CustomerProfileWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile, created = services.upsert_customer_profile(
            organization=self.organization,
            integration_id=integration_id,
            data=serializer.validated_data,
        )
        return Response(
            CustomerProfileSerializer(profile).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=CustomerProfileWriteSerializer, responses=CustomerProfileSerializer)
    def partial_update(self, request, integration_id: str):
        profile = self.get_object()
        serializer = CustomerProfileWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.update_customer_profile(profile=profile, data=serializer.validated_data)
        return Response(CustomerProfileSerializer(profile).data)

    def destroy(self, request, integration_id: str):
        services.delete_customer_profile(profile=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=CustomerProfileBulkUpsertSerializer,
        responses={200: CustomerProfileBulkResultSerializer},
        operation_id="customer_profiles_bulk_upsert",
        filters=False,
        summary="Create or update up to 1,000 customer profiles",
        description=(
            "Every item is validated before anything is written; if any item is invalid the "
            "400 lists each error as `customer_profiles.<index>.<field>` and nothing changes. "
            "More than 1,000 items is a 413."
        ),
    )
    def bulk_update(self, request):
        reject_oversized_batch(request.data, "customer_profiles", services.BULK_UPSERT_LIMIT)
        serializer = CustomerProfileBulkUpsertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            results = services.bulk_upsert_customer_profiles(
                organization=self.organization,
                items=serializer.validated_data["customer_profiles"],
            )
        except BatchValidationError as exc:
            raise ValidationError(exc.as_detail("customer_profiles")) from exc
        return Response(
            {
                "created": sum(created for _, created in results),
                "updated": sum(not created for _, created in results),
                "customer_profiles": CustomerProfileSerializer(
                    [profile for profile, _ in results], many=True
                ).data,
            }
        )


class CustomerDataViewSet(TenantViewSet):
    """A customer's data: exported (GDPR access) or its personal part erased (the profile row
    and its history stay)."""

    queryset = CustomerProfile.objects.all()
    serializer_class = CustomerProfileSerializer
    lookup_field = "integration_id"
    lookup_value_regex = "[^/]+"

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Export everything held on a customer",
        description=(
            "GDPR access: the profile, then each part of the back-office that holds data on the "
            "customer (loyalty balances and transactions, cards, audiences, groups, loyalty "
            "memberships, sessions and events), as one JSON object."
        ),
    )
    def retrieve(self, request, integration_id: str):
        return Response(services.export_customer_data(profile=self.get_object()))

    @extend_schema(
        responses={204: OpenApiResponse(description="Personal data erased.")},
        summary="Delete a customer's personal data",
        description=(
            "Blanks email, mobile number, names and attributes, and records when. The profile "
            "keeps its id and integration_id so loyalty ledgers and memberships stay consistent. "
            "The stored import files still kept lose the customer's rows too."
        ),
    )
    def destroy(self, request, integration_id: str):
        services.delete_customer_personal_data(profile=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
