"""The identity of the SQL that produced a run, for its manifest.

A config hash says what was asked for; these say what ran: the SHA-256 of each table's
rendered SQL (exactly what `idgraph sql TABLE` prints for the run's config), of the
shared functions and of the whole self-contained script (`idgraph sql --all`), with the
package version and, when the engine runs from a git checkout, the commit and whether
`sql/` or `engine/` had uncommitted changes. Two runs whose SQL hashes match ran the
same generators, whatever the version number says.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

from .config import GraphConfig
from .keys import TABLES
from .render import SQL_DIR, Renderer

# git answers in milliseconds; a hung git (network filesystem) must not hold a run back.
_GIT_TIMEOUT_SECONDS = 10


def sha256(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_version() -> str:
    """The version of the engine code that runs (`engine.__version__`): an editable install's
    metadata keeps the version it was installed with, the code does not."""
    from . import __version__

    return __version__


def git_state(root: Path = SQL_DIR.parent) -> dict[str, Any] | None:
    """{"commit": HEAD, "dirty": uncommitted changes under sql/ or engine/}, or None outside git."""
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=_GIT_TIMEOUT_SECONDS)
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "sql", "engine"],
            capture_output=True, text=True, timeout=_GIT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode != 0:
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def sql_identity(config: GraphConfig) -> dict[str, Any]:
    """SHA-256 of every table's rendered SQL, of the functions and of the script, plus version and commit."""
    from .script import render_script

    renderer = Renderer(config, partitions=config.partitions)
    return {
        "tables": {table: sha256(renderer.table(table)) for table in TABLES},
        "functions": sha256("\n\n".join(renderer.functions())),
        "script": sha256(render_script(config)),
        "version": package_version(),
        "git": git_state(),
    }
