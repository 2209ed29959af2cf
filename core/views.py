from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from config.celery import app as celery_app


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager (no broker: tasks run in-process)"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


@require_GET
def healthz(request):
    checks = {"database": _database_status(), "broker": _broker_status()}
    healthy = all(not value.startswith("error") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


API_PREFIXES = ("/api/", "/compat/")


def _api_error(status: int, code: str, detail: str) -> JsonResponse:
    error_type = "server_error" if status >= 500 else "client_error"
    return JsonResponse(
        {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": None}]},
        status=status,
    )


@csrf_exempt  # no route, so nothing to protect: the answer is a 404 whatever the method
def api_not_found(request):
    return _api_error(404, "not_found", "Not found.")


def page_not_found(request, exception=None):
    """Paths under /api/ that match no route answer in the API's error shape, not HTML."""
    if request.path.startswith(API_PREFIXES):
        return _api_error(404, "not_found", "Not found.")
    from django.views.defaults import page_not_found as html_page_not_found

    return html_page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIXES):
        return _api_error(500, "error", "Server error.")
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)
