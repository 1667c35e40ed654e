"""Which language a request speaks, and the chain a translated text falls back along.

A request's language: the signed-in user's preference, then `Accept-Language`, then the
business unit's default. A translated field is read in that language, then along the BU's
fallback chain (e.g. `de` -> `en`), then in the group's default language, then English.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header
from modeltranslation.utils import build_localized_fieldname

SUPPORTED = tuple(code for code, _name in settings.LANGUAGES)
LAST_RESORT = "en"


def supported(code: str | None) -> str | None:
    """The supported language for `code` (`zh-CN` -> `zh-hans`), or None."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code.strip())
    except LookupError:
        return None


def from_accept_language(header: str) -> str | None:
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        found = supported(code)
        if found:
            return found
    return None


def request_language(*, user_language: str | None, accept_language: str, default: str) -> str:
    return (
        supported(user_language)
        or from_accept_language(accept_language)
        or supported(default)
        or LAST_RESORT
    )


def fallback_chain(first: str, *more: str | list[str] | None) -> list[str]:
    """`first`, then each of `more` (codes or lists of codes), then English; no repeats."""
    chain: list[str] = []
    for entry in (first, *more, LAST_RESORT):
        for code in [entry] if isinstance(entry, str) or entry is None else entry:
            found = supported(code)
            if found and found not in chain:
                chain.append(found)
    return chain


def translated(instance: models.Model, field: str, chain: list[str]) -> str:
    """The first non-empty translation of `field` along `chain`."""
    for code in chain:
        value = getattr(instance, build_localized_fieldname(field, code), None)
        if value:
            return str(value)
    return str(getattr(instance, field, "") or "")
