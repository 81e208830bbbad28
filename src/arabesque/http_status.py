"""The HTTP status of each domain error (`app/errors.py`): one table for both surfaces, the JSON API (`api/`)
and the Case Management pages (`web/`), so that an error answers the same status on each.

The use cases know nothing of HTTP; this module sits beside the surfaces, which both may import it.
"""

from __future__ import annotations

from arabesque.app.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotConfigured,
    NotFound,
    TooLarge,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    UpstreamFailed,
)

__all__ = ["STATUS_CODES", "status_of"]

STATUS_CODES: dict[type[AppError], int] = {
    InvalidInput: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unprocessable: 422,
    TooManyRequests: 429,
    NotConfigured: 501,
    UpstreamFailed: 502,
}


def status_of(exc: AppError) -> int:
    """The status of `exc`'s class, or of the nearest base class in the table; 500 for a bare `AppError`."""
    for cls in type(exc).__mro__:
        status = STATUS_CODES.get(cls)
        if status is not None:
            return status
    return 500
