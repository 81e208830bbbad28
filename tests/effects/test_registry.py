"""The company registry lookup against a real loopback server: the request it makes, and every way it fails."""

from __future__ import annotations

import pytest

from arabesque.effects.egress import EgressPolicy
from arabesque.effects.registry import CompanyNotFound, RegistryFailed, RegistryQuery, fetch_company
from registry_server import registry

ALLOWED = EgressPolicy(allowed_hosts=["127.0.0.1"])
QUERY = RegistryQuery("gb", "123/45 6", "open-corporates")
ACME = {"name": "ACME LTD", "companyNumber": "123", "jurisdictionCode": "gb"}


def test_the_request_names_the_company_in_the_path_and_carries_the_token() -> None:
    with registry() as reg:
        reg.answer_json(200, ACME)
        assert fetch_company(reg.url + "/", "tok", QUERY, ALLOWED) == ACME
        sent = reg.requests[0]
    # each segment percent-encoded: a registration number cannot reach another path
    assert sent["path"] == "/companies/gb/123%2F45%206?vendor=open-corporates"
    assert sent["headers"]["authorization"] == "Bearer tok"


def test_without_a_token_no_authorization_is_sent() -> None:
    with registry() as reg:
        reg.answer_json(200, ACME)
        fetch_company(reg.url, None, QUERY, ALLOWED)
        assert "authorization" not in reg.requests[0]["headers"]


def test_a_private_address_is_refused_before_any_request_unless_allowed() -> None:
    with registry() as reg:
        with pytest.raises(RegistryFailed, match="non-public address"):
            fetch_company(reg.url, "tok", QUERY, EgressPolicy())
        assert reg.requests == []


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (500, b'{"error": "down"}', {}, "answered 500"),
        (401, b"{}", {}, "answered 401"),
        (302, b"", {"Location": "http://169.254.169.254/"}, "answered 302"),  # a redirect is not followed
        (200, b"<html>", {}, "not JSON"),
        (200, b"[1, 2]", {}, "not a JSON object"),
        (200, b"[" * 100_000, {}, "not JSON"),
        (200, b'{"a": "' + b"x" * (1024 * 1024) + b'"}', {}, "over 1,048,576 bytes"),
    ],
)
def test_anything_but_a_company_record_is_a_failure(
    status: int, body: bytes, headers: dict[str, str], error: str
) -> None:
    with registry() as reg:
        reg.rule = lambda path: (status, body, headers)
        with pytest.raises(RegistryFailed, match=error):
            fetch_company(reg.url, "tok", QUERY, ALLOWED)


def test_a_404_is_no_such_company() -> None:
    with registry() as reg:
        reg.answer_json(404, {"message": "not found"})
        with pytest.raises(CompanyNotFound):
            fetch_company(reg.url, "tok", QUERY, ALLOWED)


def test_a_registry_that_does_not_answer_in_time_is_a_failure() -> None:
    with registry() as reg:
        reg.hold = True
        with pytest.raises(RegistryFailed, match=r"did not answer within 0\.3 s"):
            fetch_company(reg.url, "tok", QUERY, ALLOWED, timeout=0.3)


def test_a_registry_that_cannot_be_reached_or_an_invalid_url_is_a_failure() -> None:
    with registry() as reg:
        closed = reg.url  # the server is shut down when the block ends
    with pytest.raises(RegistryFailed, match="could not be reached"):
        fetch_company(closed, "tok", QUERY, ALLOWED)
    with pytest.raises(RegistryFailed, match="not reachable"):
        fetch_company("ftp://registry.example", "tok", QUERY, ALLOWED)


def test_a_url_httpx_cannot_send_is_a_failure_not_an_exception() -> None:
    with registry() as reg:
        with pytest.raises(RegistryFailed, match="could not be reached"):
            fetch_company(reg.url.replace("http://127.0.0.1:", "http://127.0.0.1:99999"), "tok", QUERY, ALLOWED)
        with pytest.raises(RegistryFailed, match="could not be reached"):
            fetch_company(reg.url, "tök\n", QUERY, ALLOWED)  # a token no header can carry
