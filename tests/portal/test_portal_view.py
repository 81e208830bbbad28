"""The pieces of a page that take text from a UI definition into HTML or CSS: nothing executable gets through."""

from __future__ import annotations

from arabesque.portal.texts import countries, industries, states, text
from arabesque.portal.theme import logo_of, theme_css
from arabesque.portal.view import safe_description


def test_descriptions_keep_plain_formatting_tags_only() -> None:
    assert safe_description("<p>Add <bold>all</bold> owners</p>") == "<p>Add <strong>all</strong> owners</p>"
    assert safe_description("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert safe_description('<b onclick="x()">hi</b>') == "&lt;b onclick=&quot;x()&quot;&gt;hi</b>"
    assert safe_description(None) == ""


def test_theme_css_takes_only_plain_values() -> None:
    theme = {
        "palette": {"primary": {"color": "hsl(0, 0%, 100%)", "foreground": "red;} body{display:none"}},
        "elements": {"radius": "0.5rem", "stepper": {"idle": {"border-color": "#007AFF33"}}, "bad}": "1px"},
    }
    css = theme_css(theme)
    assert css == ":root { --primary: hsl(0, 0%, 100%); --radius: 0.5rem; --stepper-idle-border-color: #007AFF33; }"
    assert theme_css(None) == "" and theme_css({"palette": "x"}) == ""


def test_logos_are_urls_paths_or_images() -> None:
    assert logo_of({"logo": "https://cdn.example/logo.svg"}, None) == "https://cdn.example/logo.svg"
    assert logo_of({"logo": "javascript:alert(1)"}, "/logo.png") == "/logo.png"
    assert logo_of({"logo": 'https://x" onerror="y'}, None) is None
    assert logo_of(None, "data:image/png;base64,AAAA") == "data:image/png;base64,AAAA"


def test_pickers_and_texts_in_english_and_german() -> None:
    assert ("DE", "Germany") in countries("en") and ("DE", "Deutschland") in countries("de")
    assert ("DE-BY", "Bayern") in states("DE", "de") and states("ZZ", "en") == [] and states("", "en") == []
    assert ("Software and IT", "Software und IT") in industries("de")
    assert text("de", "step", n=2, total=5) == "Schritt 2 von 5" and text("fr", "back") == "Back"
