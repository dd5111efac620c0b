"""Word lists from mimesis's own English locale data, for lookup by hash-derived index.

The lists are read once from the JSON files mimesis ships (pinned version: its data
changes between releases) and rendered into SQL as literal arrays inside the
`idgraph_*` lookup functions of `sql/functions.sql`. No mimesis call happens per row.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import mimesis

from .config import RESERVED_EMAIL_DOMAINS

_DATA = Path(mimesis.__file__).parent / "datasets"
_LOCALE = "en"


def _load(name: str, locale: str = _LOCALE) -> dict:
    return json.loads((_DATA / locale / f"{name}.json").read_text(encoding="utf-8"))


# Words of mimesis's list that would make an embarrassing content title or campaign name.
_UNFIT_WORDS = frozenset(
    "adult adults breast breasts drug drugs fetish guns kill killed killing murder naked porn "
    "sex sexual sexy slave slaves suicide terror terrorism terrorist weapon weapons".split()
)


def _slug(text: str) -> str:
    """Lower-case letters only, for email local parts ("O'Brien" -> "obrien")."""
    return re.sub(r"[^a-z]", "", text.lower())


@functools.cache
def lookup_lists() -> dict[str, tuple[str, ...]]:
    """Every list the SQL uses, by name; order is mimesis's own (stable for a pinned version)."""
    person = _load("person")
    address = _load("address")
    text = _load("text")
    finance = _load("finance")
    female = tuple(person["names"]["female"])
    male = tuple(person["names"]["male"])
    surnames = tuple(s.title() if "'" in s else s for s in person["surnames"])
    words = tuple(w for w in text["words"] if re.fullmatch(r"[a-z]{4,}", w) and w not in _UNFIT_WORDS)
    return {
        "first_names_female": female,
        "first_names_female_slug": tuple(_slug(n) for n in female),
        "first_names_male": male,
        "first_names_male_slug": tuple(_slug(n) for n in male),
        "surnames": surnames,
        "surnames_slug": tuple(_slug(s) for s in surnames),
        # RFC 2606 reserved second-level domains: the default, safe to share.
        "reserved_email_domains": RESERVED_EMAIL_DOMAINS,
        # mimesis.datasets.EMAIL_DOMAINS, without the leading "@" (config email_domains = "realistic").
        "email_domains": tuple(d.lstrip("@") for d in mimesis.datasets.EMAIL_DOMAINS),
        "cities": tuple(address["city"]),
        "states": tuple(address["state"]["abbr"]),
        "words": words,
        "companies": tuple(finance["company"]["name"]),
    }


def sql_string(value: str) -> str:
    """A Spark SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# Separator of the values in a split() array literal: in no mimesis list (checked).
_LIST_SEPARATOR = "|"


def sql_array(values: tuple[str, ...], per_line: int = 12) -> str:
    """The array of `values` as `split('a|b|...', '[|]')` of one delimited string literal.

    Spark folds the split into a literal array once per query, while an array(...) of
    thousands of literals costs the parser and analyzer thousands of nodes at every call
    site of a function that holds it. The literal is written as adjacent string literals
    (Spark concatenates them) of `per_line` values each, so the rendered SQL stays readable.
    """
    bad = [v for v in values if _LIST_SEPARATOR in v]
    if bad:
        raise ValueError(f"list values must not contain {_LIST_SEPARATOR!r}: {bad[:3]}")
    chunks = [_LIST_SEPARATOR.join(values[i : i + per_line]) for i in range(0, len(values), per_line)]
    # every chunk but the last ends with the separator, so the literals join into one list
    lines = [sql_string(chunk + (_LIST_SEPARATOR if i < len(chunks) - 1 else "")) for i, chunk in enumerate(chunks)]
    return "split(\n    " + "\n    ".join(lines) + f", '[{_LIST_SEPARATOR}]')"
