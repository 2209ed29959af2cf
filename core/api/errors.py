"""One error shape for the whole API: {"type", "errors": [{"code", "detail", "attr"}]}."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler as BaseExceptionHandler
from rest_framework import exceptions, status
from rest_framework.settings import api_settings

from core.errors import ConflictError, PayloadTooLargeError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Too many items in one request."
    default_code = "too_many_items"


def reject_oversized_batch(data, key: str, limit: int) -> None:
    """413 when `data[key]` is a list longer than `limit` (checked before validating it, so
    a huge batch costs nothing and gets the right status)."""
    items = data.get(key) if isinstance(data, dict) else None
    if isinstance(items, list) and len(items) > limit:
        raise PayloadTooLarge(
            f"At most {limit:,} {key.replace('_', ' ')} per call ({len(items)} sent)."
        )


def django_validation_error_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError (field names as keys) becomes a DRF 400 naming the fields."""
    if hasattr(exc, "error_dict"):
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): [
                exceptions.ErrorDetail(message, code=error.code or "invalid")
                for error in errors
                for message in error.messages
            ]
            for field, errors in exc.error_dict.items()
        }
    else:
        detail = [
            exceptions.ErrorDetail(message, code=error.code or "invalid")
            for error in exc.error_list
            for message in error.messages
        ]
    return exceptions.ValidationError(detail)


class ExceptionHandler(BaseExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            return django_validation_error_to_drf(exc)
        if isinstance(exc, RequestDataTooBig):
            return PayloadTooLarge(
                f"The request body is over the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} "
                "bytes.",
                code="request_too_large",
            )
        if isinstance(exc, ConflictError):
            return Conflict(exc.message, code=exc.code)
        if isinstance(exc, PayloadTooLargeError):
            return PayloadTooLarge(exc.message, code=exc.code)
        return super().convert_known_exceptions(exc)
