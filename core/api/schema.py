"""The OpenAPI side of the API's conventions: error bodies, the statuses each operation can
answer, request bodies that refuse unknown fields, and the Idempotency-Key header.

Error bodies are one component per status, shaped exactly as `core.api.errors` writes them:
`{"type", "errors": [{"code", "detail", "attr"}]}`. A 400 is either a `validation_error`
(fields named in `attr`) or a `client_error` (the body could not be parsed); every other
4xx is a `client_error`, a 500 a `server_error`."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    inline_serializer,
)
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
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

ERROR_STATUS_DESCRIPTIONS = {
    "400": "The request is invalid: `attr` names the field (or query parameter).",
    "401": "No API key, or an unknown or revoked one.",
    "403": "The key or role may not do this (e.g. a read-only key on a write).",
    "404": "No such object in your organization (or no such path).",
    "405": "The method is not allowed on this path.",
    "406": "No representation matches the Accept header (the API answers JSON).",
    "409": "The request conflicts with the object's current state.",
    "413": "The body, batch or upload is over its documented limit.",
    "415": "The body's content type is not accepted (JSON; CSV uploads are multipart).",
    "429": "Over the rate limit; retry after the `Retry-After` header's seconds.",
    "500": "Unexpected server error.",
}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


def _error_response(name: str, error_type: str) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "type": serializers.ChoiceField(choices=[(error_type, error_type)]),
            "errors": ErrorDetailSerializer(many=True),
            "__module__": __name__,
        },
    )


ValidationErrorResponseSerializer = _error_response("ValidationErrorResponse", "validation_error")
ParseErrorResponseSerializer = _error_response("ParseErrorResponse", "client_error")
ServerErrorResponseSerializer = _error_response("ServerErrorResponse", "server_error")
CLIENT_ERROR_SERIALIZERS = {
    code: _error_response(f"ErrorResponse{code}", "client_error")
    for code in ("401", "403", "404", "405", "406", "409", "413", "415", "429")
}
ERROR_400 = PolymorphicProxySerializer(
    component_name="ErrorResponse400",
    serializers={
        "validation_error": ValidationErrorResponseSerializer,
        "client_error": ParseErrorResponseSerializer,
    },
    resource_type_field_name="type",
)

BODY_METHODS = ("POST", "PUT", "PATCH")
NO_NUL_PATTERN = "^[^\\u0000]*$"
NOT_BLANK_NO_NUL_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-spectacular schema that documents every status an operation can answer.

    409 appears on every write (and where a view lists it in `documented_error_statuses`,
    action name to status codes); 413 and 415 wherever a body is read; 429 wherever the view
    is throttled."""

    def _get_allowed_error_status_codes(self):
        return list(ERROR_STATUS_DESCRIPTIONS)

    def _has_request_body(self) -> bool:
        if self.method in BODY_METHODS:
            return True
        if self.method != "DELETE":
            return False
        # a DELETE reads a body when `extend_schema(request=...)` names a serializer other
        # than the view's own (which is what drf-spectacular falls back to)
        declared = self.get_request_serializer()
        declared_class = declared if isinstance(declared, type) else type(declared)
        default = getattr(self.view, "serializer_class", None)
        return declared is not None and declared_class is not default

    def _get_request_body(self, direction="request"):
        """A DELETE that declares a body (`…/members`: the ids to remove) documents it;
        drf-spectacular documents bodies of POST, PUT and PATCH only."""
        if self.method == "DELETE" and self._has_request_body():
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        return super()._get_request_body(direction)

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code in responses:
            return False
        action = getattr(self.view, "action", None)
        documented = getattr(self.view, "documented_error_statuses", {}).get(action, ())
        if status_code == "409":
            # any write can meet a conflicting state (a name taken, a reused Idempotency-Key)
            return status_code in documented or self.method in (*BODY_METHODS, "DELETE")
        if status_code in ("413", "415"):
            return status_code in documented or self._has_request_body()
        if status_code == "429":
            return bool(self.view.get_throttles())
        return True

    def _get_paginator(self):
        """Only reads are paged: a batch write answers its items in full."""
        if self.method != "GET":
            return None
        return super()._get_paginator()

    def get_filter_backends(self):
        """Filters are documented where they apply: the `list` action and the view's
        `filtered_actions` (a detail action that answers a list, such as `…/members`, does
        not take the list's filters)."""
        action = getattr(self.view, "action", None)
        if action in getattr(self.view, "filtered_actions", ()):
            return list(getattr(self.view, "filter_backends", []))  # e.g. a CSV of the list
        if action != "list":
            return []
        return super().get_filter_backends()

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """Constraints DRF enforces that drf-spectacular leaves out: a list that may not be
        empty has `minItems: 1`, a ListSerializer's length limits, a non-blank string
        `minLength: 1`."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(schema, dict) and getattr(field, "deprecated_alias_of", None):
            schema["deprecated"] = True  # core.api.serializers.deprecated_alias
        if not isinstance(schema, dict) or direction != "request":
            return schema
        for validator in getattr(field, "validators", ()):
            # validators may state their rule for the schema (customers.validators)
            for key in ("pattern", "enum"):
                value = getattr(validator, f"openapi_{key}", None)
                if value is not None:
                    schema[key] = value
        if getattr(field, "unique_items", False):
            schema["uniqueItems"] = True
        if isinstance(field, serializers.ListSerializer | serializers.ListField):
            if not getattr(field, "allow_empty", True):
                schema["minItems"] = max(schema.get("minItems", 0), 1)
            if isinstance(field, serializers.ListSerializer):
                if field.min_length is not None:
                    schema["minItems"] = max(schema.get("minItems", 0), field.min_length)
                if field.max_length is not None:
                    schema["maxItems"] = field.max_length
        elif isinstance(field, serializers.ManyRelatedField) and not field.allow_empty:
            schema["minItems"] = max(schema.get("minItems", 0), 1)
        elif (
            isinstance(field, serializers.CharField)
            and not isinstance(field, serializers.ChoiceField)
            and not field.allow_blank
            and schema.get("type") == "string"
        ):
            schema["minLength"] = max(schema.get("minLength", 0), 1)
        if (
            isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and "pattern" not in schema
            and "enum" not in schema
        ):
            # DRF refuses NUL in every CharField, and blank text (after trimming) unless allowed
            blank_refused = not field.allow_blank and field.trim_whitespace
            schema["pattern"] = NOT_BLANK_NO_NUL_PATTERN if blank_refused else NO_NUL_PATTERN
        return schema

    def _get_error_response_serializer(self, status_code: str):
        if status_code == "400":
            return ERROR_400
        if status_code == "500":
            return ServerErrorResponseSerializer
        return CLIENT_ERROR_SERIALIZERS[status_code]

    def _get_response_for_code(self, serializer, status_code, *args, **kwargs):
        response = super()._get_response_for_code(serializer, status_code, *args, **kwargs)
        if status_code in ERROR_STATUS_DESCRIPTIONS and isinstance(response, dict):
            response["description"] = ERROR_STATUS_DESCRIPTIONS[status_code]
            if status_code == "429":
                response["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before retrying.",
                    }
                }
        return response

    def _get_error_response_examples(self):
        return []

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if getattr(self.view, "action", None) in getattr(self.view, "idempotent_actions", ()):
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
        # headers a permission reads (e.g. the organization to act for) are the view's too
        for permission in self.view.get_permissions():
            parameters = [*parameters, *getattr(permission, "openapi_parameters", ())]
        return parameters


class StrictSerializerExtension(OpenApiSerializerExtension):
    """Request bodies of `core.api.serializers` classes refuse unknown fields, so their
    schema says `additionalProperties: false`."""

    target_class = "core.api.serializers.StrictFieldsMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request" and getattr(self.target, "reject_unknown_fields", True):
            schema["additionalProperties"] = False
        return schema


def rate_limit_description() -> str:
    rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
    return ", ".join(f"{scope}: {rate}" for scope, rate in rates.items() if rate)


def counts_response(name: str, description: str, *counts: str, **fields) -> OpenApiResponse:
    """A small result body such as `{"added": 3}`: whole-number `counts` and other `fields`,
    all always present."""
    return OpenApiResponse(
        response=inline_serializer(
            name, fields={**{count: serializers.IntegerField() for count in counts}, **fields}
        ),
        description=description,
    )
