"""The README's production settings pass Django's deployment checks, and gunicorn serves."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# the "Production" section of the README, as environment variables
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "loyalty.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "TRUST_X_FORWARDED_PROTO": "1",
}


def _environ(extra):
    # the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for this process; a server never has it
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**base, **extra}


def manage(*args, env):
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_environ(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_documented_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_without_them():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "SECURE_HSTS_SECONDS": "0"},
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_gunicorn_is_installed_and_loads_the_app():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "config.wsgi"],
        cwd=ROOT,
        env=_environ(PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
