"""Table and column comments, read from the comments of the generator SQL files.

A generator file opens with a comment block saying what the table is, and its outer SELECT
puts a `-- ...` comment above the columns it explains (one comment may explain several
columns in a row). Those same words become the catalog's table comment and column comments
(`engine.sinks.TableSink`), so what a reviewer reads in `sql/` is what a Unity Catalog user
sees in Catalog Explorer.
"""

from __future__ import annotations

import functools
import re

from .render import sql_file

# The last identifier of a select-list line: `expr AS name,` or a bare `name,`.
_ALIAS = re.compile(r"(?:\bAS\s+|^\s*)([A-Za-z_]\w*)\s*,?\s*$", re.I)
# A select-list item starts at this indentation; deeper lines continue it.
_ITEM_INDENT = "  "
# A line at item indentation that closes the item above (`END AS x,`, `) AS x,`).
_CLOSES = re.compile(r"^\s*(END\b|\))", re.I)
# Where the outer select list ends.
_OUTER_FROM = re.compile(r"^FROM\b", re.I)


@functools.cache
def table_comment(table: str) -> str:
    """The file's opening comment block, as one line of text."""
    lines = []
    for line in sql_file(table).splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return " ".join(p for p in lines if p)


@functools.cache
def column_comments(table: str) -> dict[str, str]:
    """Column -> the comment above it in the outer SELECT (columns without one are left out).

    Only comments at the select list's own indentation count (those inside an expression
    explain a branch of it). A comment belongs to the column right below it, and to the
    columns after that which it names ("city and state" covers both lines).
    """
    comments: dict[str, str] = {}
    block: list[str] = []
    shared = ""
    for lines in _select_items(sql_file(table)):
        head = lines[0].strip()
        if head.startswith("--"):
            block.append(head[2:].strip())
            continue
        name = _alias(lines)
        if block:
            shared, block = " ".join(block), []
            if name:
                comments[name] = shared
        elif shared and name and re.search(rf"\b{re.escape(name)}\b", shared):
            comments[name] = shared
        else:
            shared = ""
    return comments


def _select_items(text: str) -> list[list[str]]:
    """The outer select list, one entry per comment line or column (with its continuation lines)."""
    items: list[list[str]] = []
    in_select = False
    for line in text.splitlines():
        if not in_select:
            in_select = line.strip().upper() == "SELECT"
            continue
        if _OUTER_FROM.match(line):
            break
        if line.startswith(_ITEM_INDENT) and not line[len(_ITEM_INDENT)].isspace() and not _CLOSES.match(line):
            items.append([line])
        elif items and line.strip():
            items[-1].append(line)
    return items


def _alias(lines: list[str]) -> str | None:
    code = [line.split("--")[0].rstrip() for line in lines if not line.strip().startswith("--")]
    match = _ALIAS.search(code[-1]) if code and code[-1] else None
    return match.group(1) if match else None
