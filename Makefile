# Two commands for a newcomer: `make run` (demo on http://127.0.0.1:8000) and `make test`.
# Needs only Python 3.11+ and make: uv is installed into .tools/, the project into .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test lint format check e2e-deps bench contract clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.env:
	cp .env.example .env

install: $(UV) .env  ## install pinned dependencies from uv.lock into .venv
	$(UV) sync --frozen

run: install  ## migrate, load the demo, serve admin + API with a Celery worker and beat
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py devstack

test: install  ## the whole test suite (DATABASE_URL / REDIS_URL pick PostgreSQL / Redis)
	@# exit code 5 = "no tests collected" (e.g. a -k selection): not a failure
	$(VENV)/bin/pytest $(PYTEST_ARGS) || [ $$? -eq 5 ]

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

e2e-deps:  ## Debian's chromium for the browser test (needs root)
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

bench: install  ## benchmarks, run by hand; each prints ratios against a baseline
	$(UV) sync --frozen --group bench
	@for f in bench/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

contract: install  ## schemathesis against the demo on PostgreSQL (needs 127.0.0.1:5432)
	./.ci/contract

clean:
	rm -rf .venv .tools var db.sqlite3*
