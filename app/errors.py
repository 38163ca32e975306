"""Exceptions of the application, one place; each maps to one HTTP answer in the API handler."""

from __future__ import annotations


class AppError(Exception):
    """Base of every error this package raises on purpose."""


class ValidationError(AppError):
    """A body or parameter failed the schema; ``errors`` lists ``{"field", "message"}`` entries."""

    def __init__(self, errors: list[dict[str, str]], message: str = "validation failed") -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class PayloadTooLargeError(AppError):
    """More records than the configured batch limit."""


class UnsupportedMediaTypeError(AppError):
    """A body that is not ``application/json`` (HTTP 415)."""


class NotFoundError(AppError):
    """The requested resource does not exist."""


class ConflictError(AppError):
    """An idempotency key was reused with a different request body."""


class DatabaseUnavailableError(AppError):
    """The database could not be reached within the retry budget; nothing was written."""

    def __init__(self, message: str = "database unavailable", retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueUnavailableError(AppError):
    """SQS could not be reached; the job is recorded and can be re-submitted with the same key."""


class ConfigError(AppError):
    """Configuration is missing or invalid (a required SSM parameter, a bad pin)."""
