"""Golden rendered SQL: every table's SQL at one fixed small config, committed under sql/golden/.

A change to a generator, a macro or the renderer changes what runs; with the rendered
SQL committed beside the templates, that change shows in review as a readable diff of
the SQL itself, and tests/test_golden.py fails until `idgraph sql --golden-update` has
rewritten the files. `rendered_at_revision(rev)` renders another git revision's `sql/`
with this renderer, for `idgraph sql --diff REV`.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .config import ConfigError, GraphConfig
from .errors import ReleasePolicyError
from .keys import TABLES
from .lookups import lookup_lists
from .render import SQL_DIR, Renderer

GOLDEN_DIR = SQL_DIR / "golden"
# Small and fixed: the golden SQL changes only when the SQL or the defaults do.
GOLDEN_CONFIG = GraphConfig(households=100, seed=42)
# The one command that rewrites every generated review artifact (golden SQL and sql/LINEAGE.md).
UPDATE_COMMAND = "idgraph sql --golden-update"
_GIT_TIMEOUT_SECONDS = 60
# "<package version> <SHA-256 of the golden SQL>": the version the golden SQL was released
# under. write_golden() refuses to record changed SQL under the version it was recorded with.
VERSION_FILE = "VERSION"


class _GoldenRenderer(Renderer):
    """Word lists shortened to their name, size and SHA-256: the golden files stay small,
    and a changed list (a mimesis upgrade) still changes them."""

    def macro_list(self, name: str) -> str:
        values = lookup_lists()[name]
        digest = hashlib.sha256("\n".join(values).encode("utf-8")).hexdigest()[:16]
        return f"split(/* word list {name}: {len(values)} values, sha256 {digest}... */)"


def rendered_files(config: GraphConfig = GOLDEN_CONFIG, sql_dir: Path = SQL_DIR) -> dict[str, str]:
    """file name -> rendered SQL: `<table>.sql` per table and `functions.sql`."""
    renderer = _GoldenRenderer(config, sql_dir=sql_dir)
    files = {f"{table}.sql": renderer.table(table).rstrip() + "\n" for table in TABLES}
    files["functions.sql"] = "\n\n".join(renderer.functions()) + "\n"
    return files


def golden_digest(files: dict[str, str]) -> str:
    """SHA-256 of the golden files (name and text, in name order)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name]}\0".encode("utf-8"))
    return digest.hexdigest()


def recorded_release(folder: Path = GOLDEN_DIR) -> tuple[str, str] | None:
    """(version, golden digest) from the folder's VERSION file, or None without one."""
    path = folder / VERSION_FILE
    if not path.is_file():
        return None
    version, digest = path.read_text(encoding="utf-8").split()
    return version, digest


def write_golden(folder: Path = GOLDEN_DIR, version: str | None = None) -> list[str]:
    """Rewrite the golden files and their VERSION record; returns the names of those that changed.

    Release policy (README): changed golden SQL needs a new package version. If the rendered SQL
    differs from what VERSION records and `version` (default: this package's) is the one
    recorded, nothing is written and ReleasePolicyError says to bump the version first.
    """
    from . import __version__

    version = version or __version__
    expected = rendered_files()
    digest = golden_digest(expected)
    recorded = recorded_release(folder)
    if recorded and recorded[1] != digest and recorded[0] == version:
        raise ReleasePolicyError(
            f"the golden SQL changed but the version is still {version}: bump it in pyproject.toml and "
            "engine/__init__.py (minor when generated values change, patch when only the SQL text does; "
            f"README's release policy), then run {UPDATE_COMMAND} again"
        )
    folder.mkdir(parents=True, exist_ok=True)
    changed = []
    for stale in sorted(folder.glob("*.sql")):
        if stale.name not in expected:
            stale.unlink()
            changed.append(stale.name)
    for name, text in expected.items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    if recorded is None or recorded[1] != digest:
        (folder / VERSION_FILE).write_text(f"{version} {digest}\n", encoding="utf-8")
        changed.append(VERSION_FILE)
    return changed


def golden_differences(folder: Path = GOLDEN_DIR) -> dict[str, str]:
    """file name -> unified diff (committed golden -> rendered now), for every file that differs."""
    found = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.sql"))}
    return diff_files(found, rendered_files(), "golden", "rendered")


def diff_files(old: dict[str, str], new: dict[str, str], old_label: str, new_label: str) -> dict[str, str]:
    """file name -> unified diff of each file that differs between two renderings (missing = empty)."""
    diffs = {}
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name, ""), new.get(name, "")
        if a != b:
            lines = difflib.unified_diff(a.splitlines(True), b.splitlines(True), f"{old_label}/{name}", f"{new_label}/{name}")
            diffs[name] = "".join(lines)
    return diffs


def rendered_at_revision(rev: str, config: GraphConfig, repo: Path = SQL_DIR.parent) -> dict[str, str]:
    """The rendered files of git revision `rev`'s `sql/`, rendered by this renderer."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", rev, "sql"],
            capture_output=True, timeout=_GIT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError("REV", rev, f"a revision git can read here ({exc})") from None
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip()
        raise ConfigError("REV", rev, f"a git revision of {repo} with a sql/ folder (git: {message})")
    with tempfile.TemporaryDirectory(prefix="idgraph-rev-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        try:
            return rendered_files(config, Path(tmp) / "sql")
        except (KeyError, TypeError, ValueError, FileNotFoundError) as exc:
            raise ConfigError("REV", rev, f"a revision whose sql/ this renderer can render ({type(exc).__name__}: {exc})") from None


def revision_diff(rev: str, config: GraphConfig) -> dict[str, str]:
    """file name -> unified diff of the rendered SQL from revision `rev` to the working tree."""
    return diff_files(rendered_at_revision(rev, config), rendered_files(config), rev, "working-tree")
