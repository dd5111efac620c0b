"""Render the SQL files in `sql/` into the exact Spark SQL that runs.

Templates use `{{ name }}` for a config value and `{{ name(args) }}` for a macro: the
shared derivations of `sql/macros.sql` (SQL text with `{param}` slots) or the few Python
macros below that turn a configured distribution into SQL (`choice`, `power_law`,
`popularity_rank`) or include a parent table's query (`table`). Expansion goes innermost
first until no `{{ }}` is left, so macros nest.

The rendered SQL stays readable: every expansion carries a `/* ... */` comment naming
the macro it came from, and every config value its field, with the formula for a derived
constant (`0.14893933694156727D /* ctv_slot_rate = ... */`). The comments are the only
difference from the bare expansion; Spark ignores them.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Iterable, Mapping

from .config import ConfigError, CountDistribution, GraphConfig
from .distributions import normal_cdf
from .keys import TABLE_KEYS, TABLES
from .lookups import lookup_lists, sql_array, sql_string

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

_INNERMOST = re.compile(r"\{\{((?:(?!\{\{|\}\}).)*?)\}\}", re.S)
_CALL = re.compile(r"^\s*(\w+)\s*(?:\((.*)\))?\s*$", re.S)
_MACRO_HEAD = re.compile(r"^-- @macro (\w+)\(([^)]*)\)[ \t]*$", re.M)
_COLUMN = re.compile(r"^[A-Za-z_]\w*$")
_FUNCTION_NAME = re.compile(r"TEMPORARY FUNCTION\s+(\w+)\s*\(")
_CALLED = re.compile(r"\b(idgraph_\w+)\s*\(")
_RETURN = re.compile(r"\bRETURN\b")
# Guard against a macro that expands into itself.
_MAX_EXPANSIONS = 100_000


# Template values derived from config fields, with the formula a reviewer needs to check
# the number the rendered SQL shows.
DERIVED_VALUES: dict[str, tuple[tuple[str, ...], str]] = {
    "start_epoch": (("start_date",), "Unix seconds of start_date 00:00:00 UTC"),
    "end_epoch": (("end_date",), "Unix seconds of end_date 23:59:59 UTC"),
    "window_seconds": (("start_date", "end_date"), "end_epoch - start_epoch"),
    "window_days": (("start_date", "end_date"), "(end_epoch + 1 - start_epoch) div 86400"),
    "age_cdf_low": (("age_min", "age_mean", "age_sd"), "Phi((age_min - 0.5 - age_mean) / age_sd): the normal CDF at the lowest age's rounding edge"),
    "age_cdf_high": (("age_max", "age_mean", "age_sd"), "Phi((age_max + 0.5 - age_mean) / age_sd): the normal CDF at the highest age's rounding edge"),
    "ctv_slot_rate": (
        ("identifier_type_weights", "identifiers"),
        "min(1, w * (E[n] - 1) / P(n >= 2)), w = ctv_id share of identifier_type_weights without email_hash, n ~ identifiers",
    ),
}
FUNCTION_KINDS = ("all", "lists", "formulas")
# Template values that are not worth a comment: the seed is in every hash call.
_UNANNOTATED_VALUES = frozenset({"seed"})


def sql_file(name: str, sql_dir: Path = SQL_DIR) -> str:
    """The text of `sql/<name>.sql` (or of `<sql_dir>/<name>.sql`)."""
    return (sql_dir / f"{name}.sql").read_text(encoding="utf-8")


@functools.cache
def shared_macros(sql_dir: Path = SQL_DIR) -> dict[str, tuple[tuple[str, ...], str]]:
    """Macros of `sql/macros.sql`: name -> (parameters, body without comment lines)."""
    text = sql_file("macros", sql_dir)
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
    args, depth, quote, start, comment = [], 0, None, 0, False
    for i, ch in enumerate(text):
        if comment:
            comment = not (ch == "/" and text[i - 1] == "*")
        elif quote:
            if ch == quote and text[i - 1] != "\\":
                quote = None
        elif ch == "/" and text[i + 1 : i + 2] == "*":
            comment = True  # a /* macro note */ may hold commas and parentheses
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
    """Expands templates for one config; `roots` overrides the root ranges (for `row()`);
    `sql_dir` reads the templates from another copy of `sql/` (`idgraph sql --diff`)."""

    def __init__(
        self,
        config: GraphConfig,
        roots: Mapping[str, str] | None = None,
        partitions: int | None = None,
        sql_dir: Path | None = None,
    ) -> None:
        self.config = config
        self.sql_dir = sql_dir or SQL_DIR
        parts = f", 1, {partitions}" if partitions else ""
        self.roots = {
            "household_range": f"range(0, {config.households}{parts})",
            "content_range": f"range(0, {config.content_items})",
            "campaign_range": f"range(0, {config.campaigns})",
        }
        self.roots.update(roots or {})
        self._tables: dict[str, str] = {}

    # ---- entry points ---------------------------------------------------------------
    def table(self, name: str) -> str:
        """The full SELECT of one table."""
        if name not in TABLE_KEYS:
            raise ConfigError("table", name, f"one of {list(TABLES)}")
        if name not in self._tables:  # rendered once: children include their parents' queries
            self._tables[name] = self.render(_strip_header(sql_file(name, self.sql_dir)))
        return self._tables[name]

    def functions(self, which: str = "all") -> list[str]:
        """The CREATE TEMPORARY FUNCTION statements every generator relies on.

        `which`: "all", "lists" (the mimesis word-list lookups, whose bodies hold the lists)
        or "formulas" (every other function).
        """
        if which not in FUNCTION_KINDS:
            raise ConfigError("functions", which, f"one of {list(FUNCTION_KINDS)}")
        templates = _statements(sql_file("functions", self.sql_dir))
        if which != "all":
            templates = [t for t in templates if ("{{ list(" in t) == (which == "lists")]
        return [self.render(t).strip() + ";" for t in templates]

    def function_statements(self) -> dict[str, str]:
        """Function name -> its CREATE TEMPORARY FUNCTION statement, in file order."""
        return {_FUNCTION_NAME.search(s).group(1): s for s in self.functions()}

    def functions_called(self, queries: Iterable[str]) -> list[str]:
        """Names of the functions `queries` call, directly or through another function, in
        file order (so each is created after the functions its body calls)."""
        statements = self.function_statements()
        bodies = {name: _RETURN.split(statement, 1)[-1] for name, statement in statements.items()}
        pending = {name for query in queries for name in _CALLED.findall(query) if name in statements}
        needed: set[str] = set()
        while pending:
            name = pending.pop()
            needed.add(name)
            pending |= {n for n in _CALLED.findall(bodies[name]) if n in statements and n not in needed}
        return [name for name in statements if name in needed]

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
        macros = shared_macros(self.sql_dir)
        if name in macros:
            params, body = macros[name]
            if args is None or len(args) != len(params):
                raise TypeError(f"macro {name} takes ({', '.join(params)}), got {args}")
            for param, arg in zip(params, args):
                body = body.replace("{" + param + "}", arg)
            return f"/* {name}({', '.join(params)}) */ (" + body + ")"
        if args is None:
            return self._value(name) + self._value_note(name)
        raise KeyError(f"unknown macro {name}()")

    def _value_note(self, name: str) -> str:
        """` /* field */` after a config value, with the formula when it is derived; "" otherwise."""
        if name in DERIVED_VALUES:
            return f" /* {name} = {DERIVED_VALUES[name][1]} */"
        value = getattr(self.config, name, None)
        if name in _UNANNOTATED_VALUES or name in self.roots or isinstance(value, (str, bool)) or not isinstance(value, (int, float)):
            return ""
        return f" /* {name} */"

    def _value(self, name: str) -> str:
        if name in self.roots:
            return self.roots[name]
        config = self.config
        derived = {
            "start_epoch": config.start_epoch,
            "end_epoch": config.end_epoch,
            "window_seconds": config.end_epoch - config.start_epoch,
            "window_days": (config.end_epoch + 1 - config.start_epoch) // 86_400,
            # the standard normal CDF at the age bounds' rounding edges (truncated normal age)
            "age_cdf_low": sql_number(normal_cdf((config.age_min - 0.5 - config.age_mean) / config.age_sd)),
            "age_cdf_high": sql_number(normal_cdf((config.age_max + 0.5 - config.age_mean) / config.age_sd)),
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
        note = f"/* table({name}): the query of sql/{name}.sql, recomputed (no join) */"
        return "\n    " + note + "\n" + _indent(self.table(name), 4) + "\n  "

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
            return f"/* choice({field}): one value */ {quote(last)}"
        note = f"/* choice({field}): thresholds are the cumulative weights{_WEIGHT_SOURCES.get(field, '')} */"
        return note + " CASE\n      " + "\n      ".join(branches) + f"\n      ELSE {quote(last)}\n    END"

    def macro_power_law(self, field: str, u: str) -> str:
        """Count n in [minimum, maximum] with P(n) ~ (n - minimum + 1)^-exponent.

        Inverse CDF of the continuous power law on [1, K + 1), floored: exact finite-N
        probabilities for any exponent (below 1 too), K = maximum - minimum + 1.
        """
        dist = getattr(self.config, field)
        if not isinstance(dist, CountDistribution):
            raise TypeError(f"power_law({field}): not a count distribution")
        size = dist.maximum - dist.minimum + 1
        note = f"power_law({field}): n in [{dist.minimum}, {dist.maximum}], P(n) ~ (n - {dist.minimum - 1})^-{dist.exponent!r}"
        return _power_law_sql(size, dist.exponent, u, offset=dist.minimum - 1, note=note)

    def macro_popularity_rank(self, u: str) -> str:
        """Popularity rank in [1, content_items]: floor of a continuous power law with exponent
        content_zipf_exponent on [1, content_items + 1). Not a discrete Zipf law: with
        exponent 1 and 10,000 items rank 1 gets ln 2 / ln 10,001 = 7.5%, where Zipf gives 10.2%."""
        config = self.config
        note = (f"popularity_rank: rank in [1, content_items = {config.content_items}], floored power law, "
                f"P(r) = r^(1-s) - (r+1)^(1-s) normalised, s = content_zipf_exponent ({config.content_zipf_exponent!r})")
        return _power_law_sql(config.content_items, config.content_zipf_exponent, u, offset=0, note=note)

    def macro_email_domain(self, h: str) -> str:
        """An email domain picked by hash h from the configured list (email_domains)."""
        if self.config.email_domains == "reserved":
            return f"idgraph_reserved_email_domains({h})"
        return f"idgraph_email_domains({h})"

    def macro_email_domain_condition(self, domain: str) -> str:
        """Whether a domain expression is one of the configured email domains (for the checks)."""
        name = "reserved_email_domains" if self.config.email_domains == "reserved" else "email_domains"
        return f"array_contains({sql_array(lookup_lists()[name])}, {domain})"

    def _weights(self, field: str) -> dict[str, float]:
        if field == "probabilistic_type_weights":
            return self.config.probabilistic_type_weights()
        if field == "personal_type_weights":
            return self.config.personal_type_weights()
        value = getattr(self.config, field, None)
        if not isinstance(value, Mapping):
            raise KeyError(f"choice(): config has no weights named {field}")
        return dict(value)


# Where the weights of a derived choice() come from.
_WEIGHT_SOURCES = {
    "probabilistic_type_weights": " of identifier_type_weights without email_hash, renormalised",
    "personal_type_weights": " of identifier_type_weights without email_hash and ctv_id, renormalised",
}


def _power_law_sql(size: int, exponent: float, u: str, offset: int, note: str) -> str:
    """floor of the inverse CDF of the continuous power law on [1, size + 1), plus offset; `note`
    names the distribution, and the comment gives the formula of each derived constant."""
    if size == 1:
        return f"/* {note}: always {offset + 1} */ {offset + 1}"
    if exponent == 1.0:
        formula = f"x = exp(u * ln(K + 1)), K = {size}"
        x = f"exp({u} * {sql_number(math.log(size + 1))})"
    else:
        a = 1.0 - (size + 1) ** (1.0 - exponent)
        formula = f"x = pow(1 - u * a, b), a = 1 - (K + 1)^(1 - exponent), b = 1 / (1 - exponent), K = {size}"
        x = f"pow(1.0D - {u} * {sql_number(a)}, {sql_number(1.0 / (1.0 - exponent))})"
    rank = f"least({size}, CAST(floor({x}) AS INT))"
    return f"/* {note}; {formula} */ " + (f"{offset} + {rank}" if offset else rank)


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
