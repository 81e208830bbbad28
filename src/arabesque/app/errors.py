"""The use cases' exceptions: what went wrong, in the domain's terms. Each surface chooses its answer for them
(`http_status.py` holds the HTTP status of each for the API and the pages; the CLI prints the message).

AppError
 ├── InvalidInput     the request is wrong; `.errors` lists every `{path, message}`
 ├── Unauthorized     no key, or a wrong, expired or revoked one; a wrong password
 ├── Forbidden        authenticated, but the role or the assignment does not allow the action
 ├── NotFound         no such resource in the caller's project
 ├── Conflict         the resource's state forbids the request (e.g. an event on a completed runtime)
 ├── TooLarge         the body, the file or the context is over its limit
 ├── Unprocessable    understood but refused (e.g. an Idempotency-Key reused with another body)
 ├── TooManyRequests  too many attempts (e.g. failed sign-ins); retry later
 ├── NotConfigured    the project lacks what the request needs (e.g. no registry URL among its secrets)
 └── UpstreamFailed   a service the request relies on failed (e.g. the registry timed out or answered 5xx)
"""

from __future__ import annotations

__all__ = [
    "AppError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotConfigured",
    "NotFound",
    "TooLarge",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "UpstreamFailed",
]


class AppError(Exception):
    """`message` says what went wrong; `errors`, when given, names each problem's place (`{path, message}`)."""

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class InvalidInput(AppError):
    pass


class Unauthorized(AppError):
    pass


class Forbidden(AppError):
    pass


class NotFound(AppError):
    pass


class Conflict(AppError):
    pass


class TooLarge(AppError):
    pass


class Unprocessable(AppError):
    pass


class TooManyRequests(AppError):
    pass


class NotConfigured(AppError):
    pass


class UpstreamFailed(AppError):
    pass
