"""arabesque.engine.helpers: the helpers transformer (§4.3); fixture 51's helper cases are in
test_transformers.py."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from arabesque.engine.helpers import TransformError, apply_helpers, validate_helpers

NOW = 1_700_000_000_000


def test_regex_first_match_or_null() -> None:
    mapping = [
        {"source": "d", "target": "d", "method": "regex", "value": "\\d{4}-\\d{2}-\\d{2}"},
        {"source": "s", "target": "t", "method": "regex", "value": "\\d+"},
        {"source": "n", "target": "named", "method": "regex", "value": "(?<y>\\d{4})"},
    ]
    out = apply_helpers(mapping, {"d": "2003-07-02T14:31:11.116Z", "s": "abc", "n": "in 1999"}, NOW)
    assert out == {"d": "2003-07-02", "s": "abc", "n": "in 1999", "t": None, "named": "1999"}


def test_regex_on_missing_or_non_string_raises() -> None:
    with pytest.raises(TransformError, match="reading 'match'"):
        apply_helpers([{"source": "x", "target": "y", "method": "regex", "value": "a"}], {}, NOW)
    with pytest.raises(TransformError):
        apply_helpers([{"source": "x", "target": "y", "method": "regex", "value": "a"}], {"x": 5}, NOW)


def test_remove_deletes_the_key() -> None:
    out = apply_helpers([{"source": "o.a", "target": "o.a", "method": "remove"}], {"o": {"a": 1, "b": 2}}, NOW)
    assert out == {"o": {"b": 2}}
    # removing a missing key creates the intermediates, as the reference's set does
    assert apply_helpers([{"source": "p.q", "target": "p.q", "method": "remove"}], {}, NOW) == {"p": {}}


def test_omit_copies_without_keys() -> None:
    data = {"o": {"a": 1, "b": {"c": 2}}}
    out = apply_helpers([{"source": "o", "target": "copy", "method": "omit", "value": ["a"]}], data, NOW)
    assert out == {"o": {"a": 1, "b": {"c": 2}}, "copy": {"b": {"c": 2}}}
    assert out["copy"]["b"] is not out["o"]["b"]


def test_set_time_uses_now_ms() -> None:
    mapping = [{"source": "x", "target": "a.invokedAt", "method": "setTimeToRecordUTC"}]
    assert apply_helpers(mapping, {}, NOW) == {"a": {"invokedAt": NOW}}


def test_merge_array_each_item_with_value_lodash_merges() -> None:
    mapping = [
        {
            "source": "items",
            "target": "merged",
            "method": "mergeArrayEachItemWithValue",
            "options": {"mapJmespath": "items", "mergeWithJmespath": "{extra: extra, nested: {b: `2`}}"},
        }
    ]
    data = {"items": [{"id": 1, "nested": {"a": 1}}], "extra": "x"}
    out = apply_helpers(mapping, data, NOW)
    merged = [{"id": 1, "nested": {"a": 1, "b": 2}, "extra": "x"}]
    assert out["merged"] == merged
    assert out["items"] == merged  # lodash.merge mutated the items in place, as in the reference
    assert data == {"items": [{"id": 1, "nested": {"a": 1}}], "extra": "x"}  # but not our input


def test_merge_array_each_item_keeps_value_when_empty() -> None:
    mapping = [
        {
            "source": "v",
            "target": "v",
            "method": "mergeArrayEachItemWithValue",
            "options": {"mapJmespath": "items", "mergeWithJmespath": "m"},
        }
    ]
    assert apply_helpers(mapping, {"v": 1, "items": [], "m": {"a": 1}}, NOW)["v"] == 1
    assert apply_helpers(mapping, {"v": 1, "items": [{}], "m": None}, NOW)["v"] == 1


def test_image_url_to_base64_and_unknown_methods_are_refused() -> None:
    with pytest.raises(TransformError, match="imageUrlToBase64 is not supported by the pure engine"):
        apply_helpers([{"source": "u", "target": "u", "method": "imageUrlToBase64"}], {"u": "http://x"}, NOW)
    with pytest.raises(TransformError, match="instanceMethodToInvoke is not a function"):
        apply_helpers([{"source": "u", "target": "u", "method": "nope"}], {"u": 1}, NOW)


def test_input_is_not_mutated() -> None:
    data: dict[str, Any] = {"o": {"a": 1}, "l": [{"x": 1}]}
    before = copy.deepcopy(data)
    apply_helpers(
        [
            {"source": "o.a", "target": "o.a", "method": "remove"},
            {"source": "o", "target": "o.b.c", "method": "copy"},
            {"source": "l", "target": "l", "method": "setTimeToRecordUTC"},
        ],
        data,
        NOW,
    )
    assert data == before


def test_validate_helpers_lists_problems() -> None:
    problems = validate_helpers(
        [
            {"source": "a", "target": "b", "method": "regex", "value": "("},
            {"target": "b", "method": "nope"},
            {"source": "a", "target": "b", "method": "imageUrlToBase64"},
            {
                "source": "a",
                "target": "b",
                "method": "mergeArrayEachItemWithValue",
                "options": {"mapJmespath": "{}"},
            },
            {"source": "a", "target": "b", "method": "omit", "value": "a"},
        ]
    )
    text = "\n".join(problems)
    for expected in [
        "[0]: invalid regex",
        "[1]: source is required",
        "[1]: unknown helper method 'nope'",
        "[2]: imageUrlToBase64 is not supported",
        "[3]: options.mapJmespath",
        "[3]: options.mergeWithJmespath is required",
        "[4]: omit needs value",
    ]:
        assert expected in text
    assert validate_helpers([{"source": "a", "target": "b", "method": "remove"}]) == []
    assert validate_helpers("x") == ["helper mapping must be an array"]
