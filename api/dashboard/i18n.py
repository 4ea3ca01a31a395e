"""Message catalogues of the dashboard (one language per page): `messages/<lang>.yaml`, flat keys to labels.

The language comes from `?lang=` (kept in the `ems_lang` cookie) or that cookie; Japanese is the default. A key
missing from a catalogue is an error at load time (every catalogue must have the keys of the Japanese one), so a
page never shows a raw key.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGS = ("ja", "en")
DEFAULT_LANG = "ja"
LANG_COOKIE = "ems_lang"
FOLDER = Path(__file__).with_name("messages")


class Catalogue:
    """The labels of one language; `t(key, **values)` formats a label with `str.format` fields."""

    def __init__(self, lang: str, labels: dict[str, str]) -> None:
        self.lang = lang
        self.labels = labels

    def t(self, key: str, **values: object) -> str:
        """The label of `key`, formatted with `values`; KeyError naming the key and language if unknown."""
        try:
            label = self.labels[key]
        except KeyError:
            raise KeyError(f"message '{key}' is not in messages/{self.lang}.yaml") from None
        return label.format(**values) if values else label

    def tv(self, prefix: str, value: object) -> str:
        """The label of a data value (`prefix.value`, e.g. a quality or a plan kind); the value itself if the
        catalogue has no label for it."""
        return self.labels.get(f"{prefix}.{value}", str(value))


def _read(lang: str) -> dict[str, str]:
    data = yaml.safe_load((FOLDER / f"{lang}.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"messages/{lang}.yaml: expected a mapping of keys to labels")
    return {str(k): str(v) for k, v in data.items()}


@cache
def catalogue(lang: str) -> Catalogue:
    """The catalogue of `lang` (one of LANGS); ValueError naming the language and the missing keys."""
    if lang not in LANGS:
        raise ValueError(f"lang: '{lang}' is not one of {', '.join(LANGS)}")
    labels = _read(lang)
    missing = sorted(set(_read(DEFAULT_LANG)) - set(labels))
    if missing:
        raise ValueError(f"messages/{lang}.yaml lacks {len(missing)} keys, e.g. {', '.join(missing[:5])}")
    return Catalogue(lang, labels)


def choose_lang(query: str | None, cookie: str | None) -> str:
    """The page language: a valid `?lang=` first, then a valid cookie, else Japanese."""
    for value in (query, cookie):
        if value in LANGS:
            return str(value)
    return DEFAULT_LANG
