"""Named points where a higher app plugs into a lower one (Wagtail's hooks, Django's app
registry), so dependencies point one way: core ← organizations ← customers ← loyalty ←
audiences ← memberships. The lower app declares a `Hook` and calls it; the higher app
registers a handler in its `AppConfig.ready()`. Handlers run in registration order, in the
caller's transaction, and are called explicitly by a service (no signals)."""

from collections.abc import Callable


class Hook:
    def __init__(self, name: str, doc: str = ""):
        self.name = name
        self.__doc__ = doc
        self._handlers: list[Callable] = []

    def register(self, handler: Callable) -> Callable:
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    def __call__(self, **kwargs) -> list:
        """Each handler's answer, in order."""
        return [handler(**kwargs) for handler in self._handlers]

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._handlers)} handler(s)>"
