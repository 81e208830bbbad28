"""The use cases' exceptions; the API maps each to one status code.

AppError
 ├── InvalidInput     400: the request is wrong; `.errors` lists every `{path, message}`
 ├── Unauthorized     401: no key, or a wrong, expired or revoked one
 ├── Forbidden        403: authenticated, but the role or the assignment does not allow the action
 ├── NotFound         404: no such resource in the caller's project
 ├── Conflict         409: the resource's state forbids the request (e.g. an event on a completed runtime)
 ├── TooLarge         413: the body or the file is over the limit
 ├── Unprocessable    422: understood but refused (e.g. an Idempotency-Key reused with another body)
 └── TooManyRequests  429: too many attempts (e.g. failed logins); retry later
"""

from __future__ import annotations

__all__ = [
    "AppError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "TooLarge",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
]


class AppError(Exception):
    status_code = 500

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class InvalidInput(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class TooLarge(AppError):
    status_code = 413


class Unprocessable(AppError):
    status_code = 422


class TooManyRequests(AppError):
    status_code = 429
