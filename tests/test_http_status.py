"""http_status: every domain error has its status, the same on the API and the pages."""

from __future__ import annotations

from arabesque.app import errors
from arabesque.app.errors import AppError, InvalidInput
from arabesque.http_status import STATUS_CODES, status_of


def test_every_domain_error_has_a_status() -> None:
    domain = {getattr(errors, name) for name in errors.__all__} - {AppError}
    assert set(STATUS_CODES) == domain
    # the caller's mistakes are 4xx; what the server cannot do for this project, or a service it relies on
    # failing, is 5xx
    assert {cls.__name__ for cls, status in STATUS_CODES.items() if status >= 500} == {
        "NotConfigured",
        "UpstreamFailed",
    }
    assert all(400 <= status < 600 for status in STATUS_CODES.values())


def test_a_subclass_answers_its_base_class_status_and_a_bare_error_500() -> None:
    class MissingField(InvalidInput):
        pass

    assert status_of(MissingField("x")) == 400
    assert status_of(AppError("x")) == 500
