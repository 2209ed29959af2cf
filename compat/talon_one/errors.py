"""Talon.One's error shape, `{"message", "errors": [{"title", "details", "source":
{"pointer"}}]}`, with the statuses our own API answers (core.api.errors converts the services'
errors the same way for both)."""

from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.api.errors import ExceptionHandler
from core.errors import BatchValidationError


def camel(name: str) -> str:
    """Our field names as Talon spells them (`integration_id` → `integrationId`)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _pointer(path: list) -> str:
    return "/" + "/".join(str(part) for part in path) if path else ""


def _flatten(detail, path: list) -> list[dict]:
    """Every message of a DRF error detail, with the JSON pointer of the field it is about."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            inner = [] if key in ("non_field_errors", "__all__") else [camel(str(key))]
            errors += _flatten(value, path + inner)
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [
                {"title": str(item), "details": str(item), "source": {"pointer": _pointer(path)}}
                for item in detail
            ]
        errors = []
        for index, item in enumerate(detail):
            errors += _flatten(item, [*path, index]) if item else []
        return errors
    return [{"title": str(detail), "details": str(detail), "source": {"pointer": _pointer(path)}}]


def talon_error(message: str, errors: list[dict] | None = None) -> dict:
    return {
        "message": message,
        "errors": errors or [{"title": message, "details": message, "source": {}}],
    }


def exception_handler(exc, context):
    """The view's exceptions in Talon's shape (unknown ones are left to a 500, as in our API)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, BatchValidationError):  # a batch's items, by index, under its key
        exc = exceptions.ValidationError(exc.as_detail(context["view"].batch_key))
    exc = ExceptionHandler(exc, context).convert_known_exceptions(exc)
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail, [])
        body = talon_error("Request failed validation", errors)
    else:
        body = talon_error(str(exc.detail))
    return Response(
        {**body, "StatusCode": exc.status_code}, status=exc.status_code, headers=headers
    )


@csrf_exempt  # no route, nothing to protect
def not_found(request, *args, **kwargs):
    """Any path under the dialect that matches no method: a 404 in Talon's shape."""
    return JsonResponse(
        {**talon_error("Resource not found"), "StatusCode": 404}, status=status.HTTP_404_NOT_FOUND
    )
