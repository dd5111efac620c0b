"""Render the SQL files in `sql/` into the exact Spark SQL that runs.

Templates use `{{ name }}` for a config value and `{{ name(args) }}` for a macro: the
shared derivations of `sql/macros.sql` (SQL text with `{param}` slots) or the few Python
macros below that turn a configured distribution into SQL (`choice`, `power_law`,
`zipf_rank`) or include a parent table's query (`table`). Expansion goes innermost
first until no `{{ }}` is left, so macros nest.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Mapping

from .config import ConfigError, CountDistribution, GraphConfig
from .keys import TABLE_KEYS, TABLES
from .lookups import lookup_lists, sql_array, sql_string

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

_INNERMOST = re.compile(r"\{\{((?:(?!\{\{|\}\}).)*?)\}\}", re.S)
_CALL = re.compile(r"^\s*(\w+)\s*(?:\((.*)\))?\s*$", re.S)
_MACRO_HEAD = re.compile(r"^-- @macro (\w+)\(([^)]*)\)[ \t]*$", re.M)
_COLUMN = re.compile(r"^[A-Za-z_]\w*$")
# Guard against a macro that expands into itself.
_MAX_EXPANSIONS = 100_000


def sql_file(name: str) -> str:
    """The text of `sql/<name>.sql`."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


@functools.cache
def shared_macros() -> dict[str, tuple[tuple[str, ...], str]]:
    """Macros of `sql/macros.sql`: name -> (parameters, body without comment lines)."""
    text = sql_file("macros")
    heads = list(_MACRO_HEAD.finditer(text))
    macros = {}
    for head, nxt in zip(heads, heads[1:] + [None]):
        body = text[head.end() : nxt.start() if nxt else len(text)]
        lines = [line for line in body.strip().splitlines() if not line.lstrip().startswith("--")]
        params = tuple(p.strip() for p in head.group(2).split(",") if p.strip())
        macros[head.group(1)] = (params, "\n".join(lines).strip())
    return macros


def split_args(text: str) -> list[str]:
    """Split macro arguments on top-level commas (not inside parentheses or quotes)."""
    args, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    if tail or args:
        args.append(tail)
    return args


def sql_number(value: float | int) -> str:
    """A numeric literal: integers as they are, floats as DOUBLE (`0.7D`, not DECIMAL)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        return str(value)
    return f"{float(value)!r}D"


class Renderer:
    """Expands templates for one config; `roots` overrides the root ranges (for `row()`)."""

    def __init__(self, config: GraphConfig, roots: Mapping[str, str] | None = None, partitions: int | None = None) -> None:
        self.config = config
        parts = f", 1, {partitions}" if partitions else ""
        self.roots = {
            "household_range": f"range(0, {config.households}{parts})",
            "content_range": f"range(0, {config.content_items})",
            "campaign_range": f"range(0, {config.campaigns})",
        }
        self.roots.update(roots or {})

    # ---- entry points ---------------------------------------------------------------
    def table(self, name: str) -> str:
        """The full SELECT of one table."""
        if name not in TABLE_KEYS:
            raise ConfigError("table", name, f"one of {list(TABLES)}")
        return self.render(_strip_header(sql_file(name)))

    def functions(self) -> list[str]:
        """The CREATE TEMPORARY FUNCTION statements every generator relies on."""
        text = self.render(sql_file("functions"))
        return [s.strip() + ";" for s in _statements(text)]

    def render(self, text: str) -> str:
        for _ in range(_MAX_EXPANSIONS):
            match = _INNERMOST.search(text)
            if match is None:
                return text
            text = text[: match.start()] + self._expand(match.group(1)) + text[match.end() :]
        raise RecursionError("macro expansion does not terminate")

    # ---- expansion ------------------------------------------------------------------
    def _expand(self, inner: str) -> str:
        match = _CALL.match(inner)
        if match is None:
            raise ValueError(f"cannot parse template call {{{{{inner}}}}}")
        name, raw_args = match.group(1), match.group(2)
        args = split_args(raw_args) if raw_args is not None else None
        python_macro = getattr(self, f"macro_{name}", None)
        if python_macro is not None:
            return python_macro(*(args or []))
        macros = shared_macros()
        if name in macros:
            params, body = macros[name]
            if args is None or len(args) != len(params):
                raise TypeError(f"macro {name} takes ({', '.join(params)}), got {args}")
            for param, arg in zip(params, args):
                body = body.replace("{" + param + "}", arg)
            return "(" + body + ")"
        if args is None:
            return self._value(name)
        raise KeyError(f"unknown macro {name}()")

    def _value(self, name: str) -> str:
        if name in self.roots:
            return self.roots[name]
        config = self.config
        derived = {
            "start_epoch": config.start_epoch,
            "end_epoch": config.end_epoch,
            "window_seconds": config.end_epoch - config.start_epoch,
            "window_days": (config.end_epoch + 1 - config.start_epoch) // 86_400,
        }
        if name in derived:
            return str(derived[name])
        value = getattr(config, name, None)
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return sql_number(value)
        raise KeyError(f"unknown template value {{{{ {name} }}}}")

    # ---- Python macros --------------------------------------------------------------
    def macro_table(self, name: str) -> str:
        """A parent table's full query, as a subquery: its columns are recomputed, not joined."""
        return "\n" + _indent(self.table(name), 4) + "\n  "

    def macro_list(self, name: str) -> str:
        """A mimesis list as an array expression (split() of one literal: cheap to analyze)."""
        return sql_array(lookup_lists()[name])

    def macro_size(self, name: str) -> str:
        return str(len(lookup_lists()[name]))

    def macro_choice(self, field: str, u: str) -> str:
        """Weighted choice: CASE over cumulative weights of config.<field> on uniform column u.

        u must be a column computed in an inner projection: Spark does not share a
        repeated subexpression between CASE branches.
        """
        if not _COLUMN.match(u):
            raise ValueError(f"choice({field}, {u}): the uniform must be a column name, computed in an inner SELECT")
        weights = self._weights(field)
        keys = list(weights)
        quote = (lambda k: k) if all(k.isdigit() for k in keys) else sql_string
        branches, cumulative = [], 0.0
        for key in keys[:-1]:
            if weights[key] == 0:
                continue
            cumulative += weights[key]
            # 12 significant digits: exact for any weights a person types, no float noise
            branches.append(f"WHEN {u} < {sql_number(float(f'{cumulative:.12g}'))} THEN {quote(key)}")
        last = [k for k in keys if weights[k] > 0][-1]
        if not branches:
            return quote(last)
        return "CASE\n      " + "\n      ".join(branches) + f"\n      ELSE {quote(last)}\n    END"

    def macro_power_law(self, field: str, u: str) -> str:
        """Count n in [minimum, maximum] with P(n) ~ (n - minimum + 1)^-exponent.

        Inverse CDF of the continuous power law on [1, K + 1), floored: exact finite-N
        probabilities for any exponent (below 1 too), K = maximum - minimum + 1.
        """
        dist = getattr(self.config, field)
        if not isinstance(dist, CountDistribution):
            raise TypeError(f"power_law({field}): not a count distribution")
        return _power_law_sql(dist.maximum - dist.minimum + 1, dist.exponent, u, offset=dist.minimum - 1)

    def macro_zipf_rank(self, u: str) -> str:
        """Popularity rank in [1, content_items], Zipf-like with content_zipf_exponent."""
        return _power_law_sql(self.config.content_items, self.config.content_zipf_exponent, u, offset=0)

    def _weights(self, field: str) -> dict[str, float]:
        if field == "probabilistic_type_weights":
            return self.config.probabilistic_type_weights()
        if field == "personal_type_weights":
            return self.config.personal_type_weights()
        value = getattr(self.config, field, None)
        if not isinstance(value, Mapping):
            raise KeyError(f"choice(): config has no weights named {field}")
        return dict(value)


def _power_law_sql(size: int, exponent: float, u: str, offset: int) -> str:
    if size == 1:
        return str(offset + 1)
    if exponent == 1.0:
        x = f"exp({u} * {sql_number(math.log(size + 1))})"
    else:
        a = 1.0 - (size + 1) ** (1.0 - exponent)
        x = f"pow(1.0D - {u} * {sql_number(a)}, {sql_number(1.0 / (1.0 - exponent))})"
    rank = f"least({size}, CAST(floor({x}) AS INT))"
    return f"{offset} + {rank}" if offset else rank


def _strip_header(text: str) -> str:
    """Drop the leading comment block of a table file (it documents the file, not the query)."""
    lines = text.strip().splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines)


def _statements(text: str) -> list[str]:
    """Split a script on semicolons that end a line."""
    return [s for s in re.split(r";\s*$", text, flags=re.M) if s.strip() and not all(l.strip().startswith("--") or not l.strip() for l in s.splitlines())]


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())


def render_table(table: str, config: GraphConfig, partitions: int | None = None) -> str:
    """The exact SELECT that generates `table` for `config`."""
    return Renderer(config, partitions=partitions).table(table)


def render_functions(config: GraphConfig | None = None) -> list[str]:
    """The shared SQL functions (they do not depend on the config)."""
    return Renderer(config or GraphConfig()).functions()
