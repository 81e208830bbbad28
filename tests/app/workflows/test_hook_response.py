"""What a vendor callback merges (`hook_response.py`): Ballerine's `setPluginStatus` cases (external-api.md §14.3),
the signature vectors (§14.4) and the bounds of `resultDestination`."""

from __future__ import annotations

from typing import Any

import pytest

from arabesque.app.errors import InvalidInput
from arabesque.app.workflows.hook_response import hook_context, parse_destination, set_plugin_status
from arabesque.app.workflows.vendor_hook import signature_of
from arabesque.engine.merge import deep_merge_with_options

IN_PROGRESS = {"apiPlugins": {"merchantMonitoring": {"status": "IN_PROGRESS"}}}
KV = {"key": "value"}
DONE = {"apiPlugins": {"merchantMonitoring": {"data": KV, "status": "SUCCESS"}}}


@pytest.mark.parametrize(
    ("context", "path", "ignore_last_key", "body", "expected"),
    [
        (IN_PROGRESS, "apiPlugins.merchantMonitoring.data", True, KV, DONE),
        (IN_PROGRESS, "apiPlugins.merchantMonitoring", False, {"data": KV}, DONE),
        (
            {"apiPlugins": {"merchantMonitoring": "not an object"}},
            "apiPlugins.merchantMonitoring",
            True,
            KV,
            {"apiPlugins": {"merchantMonitoring": KV}},
        ),
        (
            {"apiPlugins": {"merchantMonitoring": {"data": KV, "status": "IN_PROGRESS"}}},
            "apiPlugins.merchantMonitoring.data",
            True,
            KV,
            DONE,
        ),
        ({"whatever": 1}, "hookResponse", True, {"a": 1}, {"hookResponse": {"a": 1}}),
        ({}, "a.0.b", True, {"a": 1}, {"a": [{"b": {"a": 1}}]}),
        ({}, "a.2", True, [1], {"a": [None, None, [1]]}),
        ({"a": {"status": ""}}, "a.b", True, KV, {"a": {"b": KV}}),  # a falsy status is not set
    ],
)
def test_set_plugin_status(
    context: dict[str, Any], path: str, ignore_last_key: bool, body: Any, expected: dict[str, Any]
) -> None:
    assert set_plugin_status(context, parse_destination(path), body, ignore_last_key) == expected


def test_the_merge_keeps_what_the_plugin_output_had() -> None:
    context = {"pluginsOutput": {"ubo": {"name": "ubo", "status": "IN_PROGRESS", "invokedAt": 1}}}
    new = hook_context(context, {"ubos": []}, parse_destination("pluginsOutput.ubo.data"), "ubo-unified-api")
    assert new == {"pluginsOutput": {"ubo": {"data": {"ubos": []}, "status": "SUCCESS"}}}
    merged = deep_merge_with_options(context, new, "replace")
    assert merged["pluginsOutput"]["ubo"] == {"name": "ubo", "status": "SUCCESS", "invokedAt": 1, "data": {"ubos": []}}


def test_arrays_in_the_body_replace_the_stored_ones() -> None:
    context = {"hookResponse": {"items": [1, 2, 3], "kept": True}}
    new = hook_context(context, {"items": [9]}, parse_destination(None), None)
    assert deep_merge_with_options(context, new, "replace") == {"hookResponse": {"items": [9], "kept": True}}


def test_a_merchant_audit_report_changes_no_context() -> None:
    body = {"reportData": {}, "reportId": "r1", "reportType": "T1", "base64Pdf": ""}
    assert hook_context({"a": 1}, body, parse_destination(None), "merchant-audit-report") == {}


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        (b'{"foo":"bar"}', "3f3ab3986b656abb17af3eb1443ed6c08ef8fff9fea83915909d1b421aec89be"),
        (b'["foo","bar"]', "769398ed925a354d635cb5f7a270ac964435b37d5d23dde70d1b78ba6f942a19"),
        (b'{"1":"y","2":"x","b":1,"a":1}', "2ccc72ef5ebd51674595871a8fb1a01572e687e8efef0bf63738e32beb9c6cf4"),
    ],
)
def test_signature_vectors(body: bytes, signature: str) -> None:
    """§14.4, over the bytes as sent (the third is the string a JavaScript vendor sends for its object)."""
    assert signature_of("secret", body) == signature


@pytest.mark.parametrize("text", ["", "a..b", "a.", ".a", " ", "a.101", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u"])
def test_a_bad_destination_names_it(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_destination(text)
    assert raised.value.errors is not None and raised.value.errors[0]["path"] == "query.resultDestination"


def test_destinations_within_bounds() -> None:
    assert parse_destination("a.100.b") == ["a", "100", "b"]
    assert parse_destination("a.0100") == ["a", "0100"]  # not an index: a key, as in lodash
