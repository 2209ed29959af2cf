"""Domain errors raised by services; the API's exception handler gives each its status."""


class ConflictError(Exception):
    """The request cannot be applied to the current state (HTTP 409)."""

    def __init__(self, message: str, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.code = code


class BatchValidationError(Exception):
    """Per-item validation errors of a batch, by the item's index: {index: {field: [msg]}}."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]):
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors

    def as_detail(self, field: str) -> dict:
        return {field: {str(index): errors for index, errors in sorted(self.errors.items())}}


class PayloadTooLargeError(Exception):
    """The request is over a documented size limit (HTTP 413); the message names the limit."""

    def __init__(self, message: str, code: str = "too_large"):
        super().__init__(message)
        self.message = message
        self.code = code
