"""arabesque.engine.merge: deepMergeWithOptions (fixture 53) and mergeToContext/deepMerge (§3.2), pure."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arabesque.engine.merge import deep_merge, deep_merge_with_options, merge_to_context
from matching import assert_matches, reference_cases


@pytest.mark.parametrize("case", reference_cases(53))
def test_reference_fixture_53(case: dict[str, Any]) -> None:
    result = deep_merge_with_options(case["a"], case["b"], case.get("arrayMergeOption", "concat"))
    assert_matches(case["expect"]["result"], result, exact=True)


def test_unknown_option_concats() -> None:
    assert deep_merge_with_options({"a": [1]}, {"a": [2]}, "nope") == {"a": [1, 2]}


def test_by_index_missing_elements_use_js_or() -> None:
    assert deep_merge_with_options([0, {"a": 1}], [], "by_index") == [None, {"a": 1}]
    assert deep_merge_with_options([1], [2, 3], "by_index") == [2, 3]
    assert deep_merge_with_options([{"a": [1]}], [{"a": [2]}], "by_index") == [{"a": [2]}]


def test_by_id_merges_in_first_appearance_order() -> None:
    a = [{"id": "x", "v": 1}, {"id": "y", "v": 2}]
    b = [{"id": "y", "w": 3}, {"id": "x", "v": 9}]
    assert deep_merge_with_options(a, b, "by_id") == [{"id": "x", "v": 9}, {"id": "y", "v": 2, "w": 3}]
    # a falsy id falls back to by_index
    assert deep_merge_with_options([{"id": 0, "a": 1}], [{"id": 0, "b": 2}], "by_id") == [{"id": 0, "a": 1, "b": 2}]


def test_merge_to_context_creates_and_merges() -> None:
    context = {"pluginsOutput": {"vendor": {"keep": 1, "nested": {"a": 1}, "list": [1, 2]}}, "other": 1}
    result = merge_to_context(context, {"nested": {"b": 2}, "list": [3]}, "pluginsOutput.vendor")
    assert result == {
        "pluginsOutput": {"vendor": {"keep": 1, "nested": {"a": 1, "b": 2}, "list": [3]}},
        "other": 1,
    }
    assert merge_to_context({"a": None}, {"x": 1}, "a.b.c") == {"a": {"b": {"c": {"x": 1}}}}
    assert merge_to_context({"a": ""}, {"x": 1}, "a") == {"a": {"x": 1}}


def test_merge_to_context_scalar_existing_edge_case() -> None:
    # existing non-object scalar + object body: the result is {...scalar}, the body is lost
    assert merge_to_context({"t": {"k": "ab"}}, {"k": {"x": 1}}, "t") == {"t": {"k": {"0": "a", "1": "b"}}}
    assert merge_to_context({"t": "ab"}, {"x": 1}, "t") == {"t": {"0": "a", "1": "b"}}
    assert merge_to_context({"t": 5}, {"x": 1}, "t") == {"t": {}}


def test_merge_to_context_through_a_truthy_scalar_raises() -> None:
    with pytest.raises(TypeError, match="Cannot create property 'b' on string 'x'"):
        merge_to_context({"a": "x"}, {"y": 1}, "a.b")


def test_deep_merge_body_replaces_arrays_and_scalars() -> None:
    assert deep_merge({"a": [1], "b": None, "c": {"d": 1}}, {"a": [0, 0], "b": 1, "c": {"e": 2}, "f": 3}) == {
        "a": [1],
        "b": None,
        "c": {"e": 2, "d": 1},
        "f": 3,
    }


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["", "a", "ab"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["id", "a", "b", "0"]), inner, max_size=3),
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(a=_json, b=_json, option=st.sampled_from(["concat", "replace", "by_index", "by_id", "other"]))
def test_deep_merge_with_options_does_not_mutate(a: Any, b: Any, option: str) -> None:
    a0, b0 = copy.deepcopy(a), copy.deepcopy(b)
    deep_merge_with_options(a, b, option)
    assert a == a0 and b == b0


@settings(max_examples=300, deadline=None)
@given(
    context=st.dictionaries(st.sampled_from(["a", "b", "pluginsOutput"]), _json, max_size=3),
    value=st.dictionaries(st.sampled_from(["a", "x"]), _json, max_size=3),
    path=st.sampled_from(["a", "a.b", "pluginsOutput.v", "b.0", "x.y.z"]),
)
def test_merge_to_context_does_not_mutate(context: dict[str, Any], value: Any, path: str) -> None:
    c0, v0 = copy.deepcopy(context), copy.deepcopy(value)
    with contextlib.suppress(TypeError):
        merge_to_context(context, value, path)
    assert context == c0 and value == v0
