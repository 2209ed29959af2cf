from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (at most 255 characters). A retry with the same key and body "
        "returns the first response; the same key with a different body is a 409."
    ),
)


class ClientErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse409Serializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ClientErrorSerializer(many=True)


class ErrorResponse413Serializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ClientErrorSerializer(many=True)


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-spectacular schema that documents the standard error responses too.

    409 and 413 appear on the operations whose view lists them in `documented_error_statuses`
    (a dict of action name to status codes)."""

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        action = getattr(self.view, "action", None)
        if status_code == "409" and action in getattr(self.view, "idempotent_actions", ()):
            return True
        if status_code in ("409", "413"):
            documented = getattr(self.view, "documented_error_statuses", {})
            return status_code in documented.get(action, ())
        return super()._should_add_error_response(responses, status_code)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if getattr(self.view, "action", None) in getattr(self.view, "idempotent_actions", ()):
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
        return parameters
