"""Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three.

With no REDIS_URL the worker and beat talk through kombu's filesystem transport (a folder
under var/celery), so background work really runs in the background on a fresh machine.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the admin and API on 127.0.0.1:8000 with a Celery worker and beat beside it."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr, **options):
        env = os.environ.copy()
        if not env.get("REDIS_URL") and not env.get("CELERY_BROKER_URL"):
            env["CELERY_BROKER_URL"] = "filesystem://"
            env.setdefault("CELERY_RESULT_BACKEND", f"file://{settings.BASE_DIR / 'var/results'}")
        var = Path(settings.BASE_DIR) / "var"
        for folder in ("celery/queue", "celery/control", "results"):
            (var / folder).mkdir(parents=True, exist_ok=True)

        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(var / "celerybeat-schedule"),
            ],
        }
        processes = {
            name: subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603
            for name, command in commands.items()
        }
        self.stdout.write(
            f"Started {', '.join(processes)} (broker: {env.get('CELERY_BROKER_URL') or 'redis'}). "
            "Press Ctrl-C to stop them all."
        )

        def stop(*_):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
            failed = [name for name, p in processes.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(failed)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("Stopping…")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
