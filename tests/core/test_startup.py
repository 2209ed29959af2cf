"""config.startup: a served process loads its views up front and freezes what it loaded."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_serving_entry_points_freeze_the_loaded_app(module):
    script = (
        f"import gc, sys, {module}; "
        "print(gc.get_freeze_count(), 'memberships.api.views' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    frozen, views_loaded = result.stdout.split()
    assert int(frozen) > 50_000  # Django, DRF and every view: not scanned by full collections
    assert views_loaded == "True"  # loaded before the first request, not during it
