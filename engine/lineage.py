"""Column lineage, read from the generator templates themselves (never written by hand).

Each table file is a stack of SELECTs over a row source (a key range, a parent table's
query, LATERAL VIEW positions), nested or named as the steps of a WITH. For every output
column the parser follows its expression down the stack and collects what it is made of:
the salts and the key each one hashes, the macros and functions (the distribution or
formula), the config fields and hard-coded constants, the parent-table columns it
recomputes and the row keys it derives from. Templates are read unexpanded, so macro names
and config fields survive; a shared macro is read through its body in `sql/macros.sql`.
`sql/LINEAGE.md` is `render_markdown(lineage())`, kept current by a test.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ConfigError, GraphConfig
from .keys import TABLES
from .render import _CALL, DERIVED_VALUES, SQL_DIR, Renderer, _strip_header, shared_macros, split_args, sql_file


class LineageError(ValueError):
    """A generator's SQL has a shape the lineage reader cannot follow (names the table and text)."""


# Weights a derived choice() draws from, by the config field that holds them.
_WEIGHT_FIELDS = {
    "probabilistic_type_weights": "identifier_type_weights",
    "personal_type_weights": "identifier_type_weights",
}
_CONFIG_FIELDS = frozenset(f.name for f in dataclasses.fields(GraphConfig))
# Python macros that are row sources (a parent's query, a word list), never part of a value.
_ROW_SOURCE_MACROS = frozenset({"table"})
_CONFIG_READ = re.compile(r"\bconfig\.(\w+)")


@functools.cache
def _python_macro_fields(name: str) -> tuple[str, ...]:
    """Config fields a Python macro of engine/render.py reads itself, from its source text."""
    source = inspect.getsource(getattr(Renderer, f"macro_{name}"))
    return tuple(dict.fromkeys(f for f in _CONFIG_READ.findall(source) if f in _CONFIG_FIELDS))


# Words that look like identifiers but are SQL keywords, types or literals.
_KEYWORDS = frozenset(
    "AND OR NOT IN IS NULL TRUE FALSE CASE WHEN THEN ELSE END AS CAST INT BIGINT DOUBLE STRING DATE TIMESTAMP "
    "SELECT FROM WHERE LATERAL VIEW DIV".split()
)
_SALTED = re.compile(r"\b(idgraph_\w+)\s*\(")
_FUNCTION = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_IDENT = re.compile(r"(?<![\w.])(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\b(?!\s*\()")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?(?:E-?\d+)?[DL]?)(?![\w.])")
_PLACEHOLDER = re.compile(r"__([tsc])(\d+)__")
_ALIAS = re.compile(r"\s+AS\s+([A-Za-z_]\w*)\s*$", re.S)
# A named step of a WITH (comments before it masked): `people AS (`.
_STEP = re.compile(r"(?:\s*__c\d+__)*\s*([A-Za-z_]\w*)\s+AS\s*\(", re.S)
# A row source that names a step, with an optional alias: `FROM people i`.
_NAMED_SOURCE = re.compile(r"([A-Za-z_]\w*)(?:\s+(?!LATERAL\b|WHERE\b)[A-Za-z_]\w*)?\b")
_LATERAL = re.compile(r"LATERAL\s+VIEW\s+explode\s*\(", re.S)


@dataclass
class Facts:
    """What an expression is made of (sets kept in first-seen order)."""

    salts: dict[str, None] = field(default_factory=dict)  # "idgraph_uniform 101 <- id"
    formula: dict[str, None] = field(default_factory=dict)  # macros, idgraph_* and built-in functions
    config: dict[str, None] = field(default_factory=dict)
    constants: dict[str, None] = field(default_factory=dict)
    parents: dict[str, None] = field(default_factory=dict)  # "households.created_at"
    keys: dict[str, None] = field(default_factory=dict)  # row keys and positions: "range id of households"
    refs: dict[str, None] = field(default_factory=dict)  # unresolved column names (internal)

    def add(self, other: Facts, refs: bool = True) -> None:
        for name in ("salts", "formula", "config", "constants", "parents", "keys") + (("refs",) if refs else ()):
            getattr(self, name).update(getattr(other, name))


@dataclass
class ColumnLineage:
    """Where one output column comes from."""

    table: str
    column: str
    description: str
    salts: list[str]
    formula: list[str]
    config: list[str]
    constants: list[str]
    parents: list[str]
    keys: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RowClause:
    """A LATERAL VIEW or WHERE that decides which rows a table has, and what it draws on."""

    clause: str
    salts: list[str]
    config: list[str]
    parents: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---- masking: templates, comments and strings become placeholders -------------------------
@dataclass
class _Masked:
    text: str
    templates: list[str]
    strings: list[str]
    comments: list[str]

    def unmask(self, text: str) -> str:
        """The text with templates and strings restored and comments dropped."""
        def put(m: re.Match) -> str:
            kind, i = m.group(1), int(m.group(2))
            return {"t": lambda: "{{ " + self.templates[i] + " }}", "s": lambda: self.strings[i], "c": lambda: ""}[kind]()

        return " ".join(_PLACEHOLDER.sub(put, text).split())


def _mask(text: str, store: _Masked | None = None) -> _Masked:
    """Placeholders for templates, comments and strings; with `store`, numbered on from (and
    appended to) its lists, so placeholders of a macro body share the table's numbering."""
    templates: list[str] = store.templates if store else []
    strings: list[str] = store.strings if store else []
    comments: list[str] = store.comments if store else []
    out, i, depth, start = [], 0, 0, 0
    while i < len(text):
        if text.startswith("{{", i):
            if depth == 0:
                start = i
            depth += 1
            i += 2
        elif text.startswith("}}", i) and depth:
            depth -= 1
            i += 2
            if depth == 0:
                out.append(f"__t{len(templates)}__")
                templates.append(text[start + 2 : i - 2].strip())
        else:
            if depth == 0:
                out.append(text[i])
            i += 1
    masked = "".join(out)
    out, i = [], 0
    while i < len(masked):
        if masked.startswith("--", i):
            end = masked.find("\n", i)
            end = len(masked) if end < 0 else end
            out.append(f" __c{len(comments)}__ ")
            comments.append(masked[i + 2 : end].strip())
            i = end
        elif masked[i] == "'":
            end = i + 1
            while end < len(masked) and not (masked[end] == "'" and masked[end - 1] != "\\"):
                end += 1
            out.append(f"__s{len(strings)}__")
            strings.append(masked[i : end + 1])
            i = end + 1
        else:
            out.append(masked[i])
            i += 1
    return _Masked("".join(out), templates, strings, comments)


def _close(text: str, open_at: int) -> int:
    """Index of the parenthesis closing the one at `open_at`."""
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    raise LineageError(f"unbalanced parentheses in {text[open_at:open_at + 80]!r}")


def _top_level(text: str, pattern: str) -> int:
    """Index of the first match of `pattern` outside parentheses, or -1."""
    for m in re.finditer(pattern, text):
        if text[: m.start()].count("(") == text[: m.start()].count(")"):
            return m.start()
    return -1


# ---- the query stack ----------------------------------------------------------------------
@dataclass
class _Column:
    name: str
    expr: str  # masked
    description: str


@dataclass
class _Level:
    """One SELECT: its columns, its row source, its LATERAL VIEW positions and WHERE."""

    columns: dict[str, _Column]
    source: Any  # _Level, ("range", name) or ("table", parent)
    laterals: dict[str, str]  # column -> masked explode() argument
    clauses: list[tuple[str, str]]  # masked row clauses (LATERAL VIEW ..., WHERE ...) and their expressions


class _Reader:
    """Reads one table file into facts per output column."""

    def __init__(self, table: str, sql_dir: Path) -> None:
        self.table = table
        self.sql_dir = sql_dir
        self.masked = _mask(_strip_header(sql_file(table, sql_dir)))
        self._steps: dict[str, _Level] = {}  # the named steps of a WITH, by name
        self.top = self._level(self.masked.text)
        self._memo: dict[tuple[int, str], Facts] = {}

    # parsing
    def _level(self, text: str) -> _Level:
        text = self._with(text.strip())
        select = _top_level(text, r"\bSELECT\b")
        frm = _top_level(text, r"\bFROM\b")
        if select < 0 or frm < 0:
            raise LineageError(f"{self.table}: expected SELECT ... FROM in {self.masked.unmask(text)[:120]!r}")
        columns = {}
        for item in split_args(text[select + 6 : frm]):
            descriptions = []
            while (m := re.match(r"\s*__c(\d+)__", item)) is not None:
                descriptions.append(self.masked.comments[int(m.group(1))])
                item = item[m.end() :]
            item = re.sub(r"__c\d+__", " ", item).strip()
            alias = _ALIAS.search(item)
            if alias:
                name, expr = alias.group(1), item[: alias.start()]
            elif re.fullmatch(r"(?:\w+\.)?\w+", item):
                name, expr = item.split(".")[-1], item
            else:
                raise LineageError(f"{self.table}: a column without a name: {self.masked.unmask(item)!r}")
            columns[name] = _Column(name, expr, " ".join(descriptions))
        rest = re.sub(r"__c\d+__", " ", text[frm + 4 :]).strip()
        if rest.startswith("("):
            close = _close(rest, 0)
            inner, rest = rest[1:close].strip(), rest[close + 1 :]
            source = self._source(inner)
        elif (m := re.match(r"__t(\d+)__", rest)) is not None:
            source, rest = ("range", self.masked.templates[int(m.group(1))]), rest[m.end() :]
        elif (m := _NAMED_SOURCE.match(rest)) is not None and m.group(1) in self._steps:
            source, rest = self._steps[m.group(1)], rest[m.end() :]
        else:
            raise LineageError(f"{self.table}: unknown row source {self.masked.unmask(rest)[:80]!r}")
        laterals, clauses = {}, []
        while (m := _LATERAL.search(rest)) is not None:
            close = _close(rest, m.end() - 1)
            after = re.match(r"\s*(\w+)\s+AS\s+(\w+)", rest[close + 1 :])
            if after is None:
                raise LineageError(f"{self.table}: LATERAL VIEW without `alias AS column`")
            laterals[after.group(2)] = rest[m.end() : close]
            clauses.append((rest[m.start() : close + 1 + after.end()], rest[m.end() : close]))
            rest = rest[close + 1 + after.end() :]
        where = _top_level(rest, r"\bWHERE\b")
        if where >= 0:
            clauses.append((rest[where:], rest[where + 5 :]))
        return _Level(columns, source, laterals, clauses)

    def _with(self, text: str) -> str:
        """Reads a leading `WITH name AS (SELECT ...), ...` into named steps; returns the
        SELECT after it. A step may read the steps named before it."""
        if (m := re.match(r"WITH\b", text)) is None:
            return text
        rest = text[m.end() :]
        while (step := _STEP.match(rest)) is not None:
            close = _close(rest, step.end() - 1)
            self._steps[step.group(1)] = self._level(rest[step.end() : close])
            rest = rest[close + 1 :]
            if (comma := re.match(r"\s*,", rest)) is None:
                return rest.strip()
            rest = rest[comma.end() :]
        raise LineageError(f"{self.table}: expected `name AS (SELECT ...)` after WITH in {self.masked.unmask(rest)[:120]!r}")

    def _source(self, inner: str) -> Any:
        if re.match(r"\s*SELECT\b", inner):
            return self._level(inner)
        m = re.fullmatch(r"\s*__t(\d+)__\s*", inner)
        call = _CALL.match(self.masked.templates[int(m.group(1))]) if m else None
        if call is None or call.group(1) != "table":
            raise LineageError(f"{self.table}: unknown subquery {self.masked.unmask(inner)[:80]!r}")
        return ("table", call.group(2).strip())

    # analysis
    def expression(self, masked: str) -> Facts:
        """Facts of a masked expression; column references left in .refs."""
        facts = Facts()
        text = masked
        for m in _SALTED.finditer(masked):
            close = _close(masked, m.end() - 1)
            args = split_args(masked[m.end() : close])
            seed = re.fullmatch(r"__t(\d+)__", args[0]) if args else None
            if seed and self.masked.templates[int(seed.group(1))] == "seed" and len(args) >= 3:
                facts.salts[f"{m.group(1)} {args[1]} <- {self.masked.unmask(args[2])}"] = None
                # the salt is the stream's name, not a constant of the formula
                text = text.replace(f"{args[0]}, {args[1]},", f"{args[0]}, _,", 1)
        for m in _FUNCTION.finditer(text):
            if m.group(1).upper() not in _KEYWORDS:
                facts.formula[m.group(1)] = None
        for m in _NUMBER.finditer(_PLACEHOLDER.sub(" ", text)):
            facts.constants[m.group(1)] = None
        for m in _PLACEHOLDER.finditer(text):
            if m.group(1) == "t":
                facts.add(self.template(self.masked.templates[int(m.group(2))]))
        for m in _IDENT.finditer(_PLACEHOLDER.sub(" ", text)):
            name = m.group(2)
            if name.upper() not in _KEYWORDS and name != "_":
                facts.refs[name] = None
        return facts

    def template(self, inner: str) -> Facts:
        call = _CALL.match(inner)
        if call is None:
            raise LineageError(f"{self.table}: cannot read template {{{{ {inner} }}}}")
        name, raw = call.group(1), call.group(2)
        args = split_args(raw) if raw is not None else []
        facts = Facts()
        if raw is None:
            if name in DERIVED_VALUES:
                facts.formula[name] = None
                facts.config.update(dict.fromkeys(DERIVED_VALUES[name][0]))
            elif name != "seed":
                facts.config[name] = None
            return facts
        facts.formula[name] = None
        macros = shared_macros(self.sql_dir)
        if name in macros:
            params, body = macros[name]
            for param, arg in zip(params, args):
                body = body.replace("{" + param + "}", arg)
            facts.add(self._sub_expression(body))
        elif hasattr(Renderer, f"macro_{name}") and name not in _ROW_SOURCE_MACROS:
            # a Python macro: an argument naming a config field is read from the config (the
            # weights of choice(), the count of power_law()), any other is an expression
            facts.config.update(dict.fromkeys(_python_macro_fields(name)))
            for arg in args:
                if arg in _CONFIG_FIELDS or arg in _WEIGHT_FIELDS:
                    facts.config[_WEIGHT_FIELDS.get(arg, arg)] = None
                else:
                    facts.add(self._sub_expression(arg))
        else:
            raise LineageError(f"{self.table}: unknown template call {name}() in an expression")
        return facts

    def _sub_expression(self, text: str) -> Facts:
        """Facts of template text found inside a template (a macro body or argument)."""
        return self.expression(_mask(text, self.masked).text)

    # resolution
    def column(self, level: _Level, name: str) -> Facts:
        key = (id(level), name)
        if key not in self._memo:
            self._memo[key] = self._resolve(level, self.expression(level.columns[name].expr))
        return self._memo[key]

    def _resolve(self, level: _Level, facts: Facts) -> Facts:
        out = Facts()
        out.add(facts, refs=False)
        for ref in facts.refs:
            if ref in level.laterals:
                # a position of the row's explode: how many there are is the table's row lineage
                out.keys[f"LATERAL VIEW position {ref}"] = None
            else:
                out.add(self._source_column(level.source, ref), refs=False)
        return out

    def _source_column(self, source: Any, name: str) -> Facts:
        facts = Facts()
        if isinstance(source, _Level):
            if name not in source.columns:
                raise LineageError(f"{self.table}: column {name} is not in the SELECT below it")
            return self.column(source, name)
        kind, what = source
        if kind == "range" and name == "id":
            facts.keys[f"row key: id of {{{{ {what} }}}}"] = None
        elif kind == "table" and name in _output_columns(what, self.sql_dir):
            facts.parents[f"{what}.{name}"] = None
        else:
            raise LineageError(f"{self.table}: column {name} is not in its row source {what}")
        return facts

    def description(self, level: _Level, name: str) -> str:
        column = level.columns[name]
        if column.description or not isinstance(level.source, _Level):
            return column.description
        bare = re.fullmatch(r"\s*(?:\w+\.)?(\w+)\s*", column.expr)
        if bare and bare.group(1) in level.source.columns:
            return self.description(level.source, bare.group(1))
        return ""

    def rows(self) -> list[RowClause]:
        """The table's row clauses (LATERAL VIEW, WHERE), outermost first, with what decides them."""
        clauses, level = [], self.top
        while isinstance(level, _Level):
            for text, expr in level.clauses:
                facts = self._resolve(level, self.expression(expr))
                clauses.append(RowClause(self.masked.unmask(text), list(facts.salts), list(facts.config), list(facts.parents)))
            level = level.source
        return clauses


@functools.cache
def _output_columns(table: str, sql_dir: Path) -> tuple[str, ...]:
    return tuple(_Reader(table, sql_dir).top.columns)


def table_lineage(table: str, sql_dir: Path = SQL_DIR) -> list[ColumnLineage]:
    """Lineage of every output column of `table`, in column order."""
    if table not in TABLES:
        raise ConfigError("TABLE", table, f"one of {list(TABLES)}")
    reader = _Reader(table, sql_dir)
    found = []
    for name in reader.top.columns:
        facts = reader.column(reader.top, name)
        found.append(
            ColumnLineage(
                table, name, reader.description(reader.top, name),
                *(list(getattr(facts, f)) for f in ("salts", "formula", "config", "constants", "parents", "keys")),
            )
        )
    return found


def table_rows(table: str, sql_dir: Path = SQL_DIR) -> list[RowClause]:
    """How a table's rows arise beyond its row source: LATERAL VIEW explodes and WHERE filters."""
    return _Reader(table, sql_dir).rows()


def lineage(tables: tuple[str, ...] = TABLES) -> dict[str, list[ColumnLineage]]:
    """Lineage of every column of `tables`."""
    return {table: table_lineage(table) for table in tables}


def render_json(found: dict[str, list[ColumnLineage]]) -> str:
    return json.dumps({t: {"rows": [r.to_dict() for r in table_rows(t)], "columns": [c.to_dict() for c in cols]} for t, cols in found.items()}, indent=2) + "\n"


def _cell(values: list[str], separator: str = "<br>") -> str:
    """Code spans, one per value, joined for a table cell (or with ", " in running text)."""
    text = separator.join(f"`{v}`" for v in values) if values else "–"
    return text.replace("|", "\\|") if separator == "<br>" else text


def render_markdown(found: dict[str, list[ColumnLineage]]) -> str:
    """One section per table: its row clauses, then one table row per column."""
    lines = [
        "# Column lineage",
        "",
        "Generated from the generator SQL by `idgraph lineage --markdown` (engine/lineage.py); do not edit.",
        "Regenerate with `idgraph sql --golden-update`. For every output column: the salts and the key",
        "each hashes (`function salt <- key`), the macros and functions that shape it, the config fields",
        "and hard-coded constants it uses, the parent-table columns it recomputes and the row keys it",
        "derives from. The seed enters every salted hash and is not repeated.",
    ]
    for table, columns in found.items():
        rows = table_rows(table)
        lines += ["", f"## {table}", "", f"Rows: one per row of the source in `sql/{table}.sql`" + (", then:" if rows else ".")]
        lines += [f"- `{r.clause}` — salts {_cell(r.salts, ', ')}; config {_cell(r.config, ', ')}; parent columns {_cell(r.parents, ', ')}" for r in rows]
        lines += ["", "| column | salts (key) | formula | config | constants | parent columns | row keys | note |",
                  "|---|---|---|---|---|---|---|---|"]
        for c in columns:
            cells = [f"`{c.column}`", _cell(c.salts), _cell(c.formula), _cell(c.config), _cell(c.constants),
                     _cell(c.parents), _cell(c.keys), c.description.replace("|", "\\|")]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def lineage_path() -> Path:
    return SQL_DIR / "LINEAGE.md"


def write_lineage() -> bool:
    """Rewrite sql/LINEAGE.md; True when it changed."""
    text = render_markdown(lineage())
    path = lineage_path()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
