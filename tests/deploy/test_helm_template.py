"""The chart renderer follows Go templates where the chart relies on it, and refuses what it does not know."""

from __future__ import annotations

from pathlib import Path

import pytest
from helm_template import TemplateError, render_chart


def chart(tmp_path: Path, template: str, values: str = "a: {b: 1}\nlist: []\n") -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text("name: c\nversion: 1.0.0\nappVersion: '2'\n")
    (tmp_path / "values.yaml").write_text(values)
    (tmp_path / "templates" / "t.yaml").write_text(template)
    return tmp_path


def test_values_pipelines_conditions_and_includes_render_as_go_would(tmp_path: Path) -> None:
    template = (
        '{{- define "x" -}}\nk: {{ .Values.a.b | quote }}\n{{- end }}\n'
        'kind: {{ .Chart.Name }}\nm:\n  {{- include "x" . | nindent 2 }}\n'
        "{{- if .Values.list }}\nl: full\n{{- else }}\nl: empty\n{{- end }}\n"
        "{{- if not .Values.a.missing }}\nn: {{ .Release.Name }}\n{{- end }}\n"
    )
    [doc] = render_chart(chart(tmp_path, template), release="r", values={"a": {"c": 2}})
    assert doc == {"kind": "c", "m": {"k": "1"}, "l": "empty", "n": "r"}


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("x: {{ .Values.a.b | upper }}", "unknown function 'upper'"),
        ("x: {{ .Values.a.b.c.d }}", "nil pointer evaluating .Values.a.b.c.d"),
        ('x: {{ include "nope" . }}', "undefined template 'nope'"),
        ("{{ if .Values.a }}x: 1", "not closed"),
        ("x: {{ .Values.a }}", "cannot print dict without toYaml"),
    ],
)
def test_what_the_renderer_does_not_know_fails_the_render_by_name(tmp_path: Path, template: str, problem: str) -> None:
    with pytest.raises(TemplateError, match=problem):
        render_chart(chart(tmp_path, template))
