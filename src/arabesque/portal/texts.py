# ruff: noqa: E501  (one text a line reads best)
"""The pages' own words in English and German (the UI definition's texts come translated from its locales),
and the choices of the pickers: countries and nationalities (ISO 3166, names from `pycountry`), states of a
country, industries, languages."""

from __future__ import annotations

import gettext
from functools import lru_cache
from typing import Final

import pycountry

__all__ = ["LANGUAGE_NAMES", "countries", "industries", "language_of", "states", "text"]

_TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "skip": "Skip to the form",
        "step": "Step {n} of {total}",
        "steps": "Steps",
        "back": "Back",
        "continue": "Continue",
        "submit": "Submit",
        "add": "Add",
        "remove": "Remove",
        "upload": "Upload",
        "replace": "Replace file",
        "uploaded": "Uploaded: {name}",
        "no_file": "No file yet",
        "choose": "Choose…",
        "optional": "(optional)",
        "language": "Language",
        "change_language": "Change",
        "completed": "completed",
        "needs_attention": "needs your attention",
        "errors_title": "Please correct the marked fields.",
        "revision_title": "Your reviewer asked you to replace some documents",
        "revision_hint": "Upload a new file for each document marked below, then continue to the end and submit.",
        "invalid_title": "This link cannot be opened",
        "invalid_body": "The link is invalid, has expired or has been closed. Ask the company that sent it for a new one.",
        "success_title": "Thank you",
        "success_body": "Your information has been submitted. We will contact you if anything else is needed.",
        "approved_title": "Approved",
        "approved_body": "Your application has been approved.",
        "rejected_title": "Not approved",
        "rejected_body": "Your application could not be approved.",
        "too_large": "File size exceeds {limit} MB",
        "file_hint": "PDF, PNG or JPEG, at most {limit} MB",
        "saved": "Saved",
        "closed_title": "This case is closed",
        "closed_body": "Your information can no longer be changed.",
        "error_title": "Something went wrong",
        "required": "This field is required",
    },
    "de": {
        "skip": "Zum Formular springen",
        "step": "Schritt {n} von {total}",
        "steps": "Schritte",
        "back": "Zurück",
        "continue": "Weiter",
        "submit": "Absenden",
        "add": "Hinzufügen",
        "remove": "Entfernen",
        "upload": "Hochladen",
        "replace": "Datei ersetzen",
        "uploaded": "Hochgeladen: {name}",
        "no_file": "Noch keine Datei",
        "choose": "Bitte wählen…",
        "optional": "(optional)",
        "language": "Sprache",
        "change_language": "Wechseln",
        "completed": "abgeschlossen",
        "needs_attention": "braucht Ihre Aufmerksamkeit",
        "errors_title": "Bitte korrigieren Sie die markierten Felder.",
        "revision_title": "Ihr Prüfer bittet Sie, einige Dokumente zu ersetzen",
        "revision_hint": "Laden Sie für jedes markierte Dokument eine neue Datei hoch, gehen Sie dann bis zum Ende und senden Sie ab.",
        "invalid_title": "Dieser Link kann nicht geöffnet werden",
        "invalid_body": "Der Link ist ungültig, abgelaufen oder geschlossen. Bitten Sie das Unternehmen, das ihn gesendet hat, um einen neuen.",
        "success_title": "Vielen Dank",
        "success_body": "Ihre Angaben wurden übermittelt. Wir melden uns, falls wir noch etwas benötigen.",
        "approved_title": "Genehmigt",
        "approved_body": "Ihr Antrag wurde genehmigt.",
        "rejected_title": "Nicht genehmigt",
        "rejected_body": "Ihr Antrag konnte nicht genehmigt werden.",
        "too_large": "Die Datei ist größer als {limit} MB",
        "file_hint": "PDF, PNG oder JPEG, höchstens {limit} MB",
        "saved": "Gespeichert",
        "closed_title": "Dieser Fall ist abgeschlossen",
        "closed_body": "Ihre Angaben können nicht mehr geändert werden.",
        "error_title": "Etwas ist schiefgelaufen",
        "required": "Dieses Feld ist erforderlich",
    },
}  # fmt: skip

LANGUAGE_NAMES: Final = {"en": "English", "de": "Deutsch", "cn": "中文", "fr": "Français", "es": "Español"}


def language_of(requested: str | None, available: list[str]) -> str:
    """The language to show: the requested one if the flow has it, else English, else the flow's first."""
    if requested and requested in available:
        return requested
    return "en" if "en" in available or not available else available[0]


def text(language: str, key: str, **values: object) -> str:
    """The page's own text `key` in `language` (English when the language has none)."""
    template = _TEXTS.get(language, {}).get(key) or _TEXTS["en"][key]
    return template.format(**values) if values else template


@lru_cache(maxsize=8)
def _translator(domain: str, language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


@lru_cache(maxsize=8)
def countries(language: str) -> list[tuple[str, str]]:
    """(ISO alpha-2 code, name in `language`), sorted by name."""
    translate = _translator("iso3166-1", language).gettext
    named = [(c.alpha_2, translate(getattr(c, "common_name", None) or c.name)) for c in pycountry.countries]
    return sorted(named, key=lambda item: item[1].casefold())


@lru_cache(maxsize=64)
def states(country: str, language: str) -> list[tuple[str, str]]:
    """(ISO 3166-2 code, name) of `country`'s subdivisions; empty for an unknown country."""
    translate = _translator("iso3166-2", language).gettext
    found = pycountry.subdivisions.get(country_code=country.upper()) if len(country) == 2 else None  # type: ignore[no-untyped-call]
    return sorted(((s.code, translate(s.name)) for s in found or []), key=lambda item: item[1].casefold())


# The renderer's industry list is 265 names; these are the top-level sectors most KYB forms ask for.
_INDUSTRIES: Final[dict[str, list[str]]] = {
    "en": [
        "Accounting", "Advertising and marketing", "Agriculture", "Automotive", "Banking", "Construction",
        "Consulting", "Cryptocurrency", "E-commerce", "Education", "Energy", "Entertainment", "Financial services",
        "Food and beverage", "Gambling", "Healthcare", "Hospitality", "Insurance", "Legal services",
        "Logistics and transport", "Manufacturing", "Media", "Mining", "Non-profit", "Pharmaceuticals",
        "Real estate", "Retail", "Software and IT", "Telecommunications", "Travel", "Wholesale",
    ],
    "de": [
        "Buchhaltung", "Werbung und Marketing", "Landwirtschaft", "Automobil", "Bankwesen", "Bauwesen",
        "Beratung", "Kryptowährungen", "E-Commerce", "Bildung", "Energie", "Unterhaltung", "Finanzdienstleistungen",
        "Lebensmittel und Getränke", "Glücksspiel", "Gesundheitswesen", "Gastgewerbe", "Versicherungen",
        "Rechtsdienstleistungen", "Logistik und Transport", "Fertigung", "Medien", "Bergbau", "Gemeinnützig",
        "Pharmazie", "Immobilien", "Einzelhandel", "Software und IT", "Telekommunikation", "Reisen", "Großhandel",
    ],
}  # fmt: skip


def industries(language: str) -> list[tuple[str, str]]:
    """(value stored, label shown): the stored value is the English name, as the renderer stores it."""
    labels = _INDUSTRIES.get(language, _INDUSTRIES["en"])
    return list(zip(_INDUSTRIES["en"], labels, strict=True))
