"""Queue Celery tasks by name once the current transaction commits.

Services call `enqueue("app.tasks.some_task", *ids)` instead of importing the task: tasks import
services, so the other way round would be an import circle, and a task queued before the commit
could run before the rows it needs are visible. Eager mode (no broker) is respected: the task is
looked up in the app's registry and `delay`ed, so tests and the zero-setup demo run it in-process.
"""

import importlib

from celery import current_app
from django.db import transaction


def enqueue(task_name: str, *args) -> None:
    """Queue `task_name(*args)` after the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send(task_name, *args))


def send(task_name: str, *args) -> None:
    task_for(task_name).delay(*args)


def task_for(task_name: str):
    """The registered task; its module is imported first if nothing has imported it yet (web
    processes only import a tasks module when something uses it)."""
    if task_name not in current_app.tasks:
        importlib.import_module(task_name.rpartition(".")[0])
    return current_app.tasks[task_name]
