"""How a run record reads on the page: status line, per-table progress, checks, samples, history,
and the review step's preview of the first rows of every table.

Pure functions from the runner's JSON records to the text and tables the app displays,
so what a user sees is tested without a browser.
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any, Mapping

from engine import PREVIEW_ROOTS, TABLES

PROGRESS_HEADERS = ["table", "status", "expected rows", "rows written", "seconds", "rows/s"]
CHECK_HEADERS = ["check", "result", "violations", "what it checks"]
# The run's name carries its launch minute (UTC), so no separate launch column: it fits 1,024 px.
HISTORY_HEADERS = ["run", "households", "destination", "status", "rows", "seconds"]
# Marks that every font has (emoji are missing on minimal Linux browsers).
STATUS_MARK = {"queued": "…", "running": "▶", "cancelling": "■", "succeeded": "✓", "failed": "✗", "cancelled": "■", "interrupted": "⚠"}


def duration(seconds: float | None) -> str:
    """Seconds as m:ss (h:mm:ss past an hour)."""
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def elapsed(record: Mapping[str, Any], now: float | None = None) -> float | None:
    """Seconds since the run started, up to its end once it ended."""
    if not record.get("started"):
        return None
    end = record.get("ended") or (now if now is not None else time.time())
    return max(0.0, end - record["started"])


def rows_written(record: Mapping[str, Any]) -> int:
    return sum(t.get("rows") or 0 for t in record.get("tables", {}).values() if t.get("status") == "done")


def rate(rows: float | None, seconds: float | None) -> str:
    return f"{rows / seconds:,.0f}" if rows and seconds else "-"


# How a run that was stopped reads: who stopped it (the worker's own "KeyboardInterrupt" is not shown).
STOPPED_TEXT = {"cancelled": "Cancelled by you", "interrupted": "Interrupted: the app was stopped"}


def status_text(record: Mapping[str, Any], queue_position: int | None = None, now: float | None = None) -> str:
    """One line: status, phase, elapsed time, rows so far and the run's rows/s."""
    status = record["status"]
    if status in STOPPED_TEXT:
        return f"{STATUS_MARK[status]} **{STOPPED_TEXT[status]}**" + (f" after {duration(elapsed(record, now))}" if record.get("started") else "") + f".\n\n{cleanup_text(record)}"
    phase = record.get("phase") or ""
    parts = [f"{STATUS_MARK.get(status, '')} **{status}**", "" if phase == status else phase]
    if status == "queued" and queue_position:
        parts.append(f"position {queue_position} in the queue")
    spent = elapsed(record, now)
    if spent is not None:
        parts.append(f"elapsed {duration(spent)}")
    rows = rows_written(record)
    if rows:
        generating = sum(t.get("seconds") or 0 for t in record.get("tables", {}).values() if t.get("status") == "done")
        parts.append(f"{rows:,} rows written ({rate(rows, generating)} rows/s)")
    text = " · ".join(p for p in parts if p)
    if record.get("error"):
        text += f"\n\n```\n{record['error']}\n```"
    return text


def cleanup_text(record: Mapping[str, Any]) -> str:
    """What is left of a stopped run, checked on disk: the list of what was cleaned up."""
    if not record.get("started"):
        return "It had not started: nothing was written."
    if record.get("kind") == "databricks":
        return "Cleaned up: the Databricks Jobs run was cancelled."
    out = Path(record.get("spec", {}).get("out", ""))
    staged = list(out.parent.glob(f".{out.name}.staging-*"))
    items = [
        "the worker process and its Spark JVM were stopped",
        f"{len(staged)} staging folder(s) of partial tables are still being removed" if staged else "the partial tables (the staging folder) were removed",
        f"`{out}` was left as it was before" if out.exists() else f"the output folder `{out}` was never created",
    ]
    return "Cleaned up:\n" + "\n".join(f"- {item}" for item in items)


def progress_rows(record: Mapping[str, Any], now: float | None = None) -> list[list[Any]]:
    """One row per table: status, expected and written rows, seconds and rows/s (live while running)."""
    now = now if now is not None else time.time()
    expected = record.get("expected") or {}
    rows = []
    for table in TABLES:
        info = record.get("tables", {}).get(table, {})
        status = info.get("status", "waiting")
        seconds = info.get("seconds")
        if status == "running" and info.get("started"):
            seconds = now - info["started"]
        written = info.get("rows")
        rows.append([table, status, f"{expected[table]:,}" if table in expected else "-", f"{written:,}" if written is not None else "-", f"{seconds:.1f}" if seconds is not None else "-", rate(written, info.get("seconds"))])
    return rows


def check_rows(record: Mapping[str, Any]) -> list[list[Any]]:
    """The validation checks: name, PASS/FAIL, violation count, description."""
    return [[c["name"], "PASS" if c["passed"] else "FAIL", f"{c['violations']:,}", c["description"]] for c in record.get("checks") or []]


def checks_summary(record: Mapping[str, Any]) -> str:
    checks = record.get("checks") or []
    if not checks:
        if record.get("kind") == "databricks" and record.get("status") == "succeeded":
            return "Validation runs locally only for now: run `idgraph validate` on the tables' folder, or the SQL in `sql/checks/` on a warehouse."
        return "Validation results appear here when the run has validated its tables."
    failed = [c["name"] for c in checks if not c["passed"]]
    return f"**{len(checks) - len(failed)} of {len(checks)} checks passed**" + (f"; failed: {', '.join(failed)}" if failed else " (0 violations)")


def location_text(record: Mapping[str, Any]) -> str:
    """Where the data is, and how to open it."""
    spec = record.get("spec", {})
    if record.get("kind") == "databricks":
        names = record.get("table_names") or {}
        lines = [f"Unity Catalog schema `{spec.get('location', '')}`:"] + [f"- `{spec.get('location', '')}.{n}`" for n in names.values()]
        if record.get("run_page_url"):
            lines.append(f"\n[Databricks run page]({record['run_page_url']})")
        return "\n".join(lines)
    out = spec.get("out", "")
    if record.get("status") in STOPPED_TEXT:
        return ""
    if record.get("status") != "succeeded":
        return f"Output folder (written only when the run completes): `{out}`"
    return f"Folder `{out}` ({spec.get('format')} tables, one folder per table, plus `_manifest.json`).\n\nValidate again with `idgraph validate {out}`."


def sample_table(record: Mapping[str, Any], table: str | None) -> dict[str, Any]:
    """A table's sample rows as {"headers", "data"} for a Dataframe."""
    sample = (record.get("samples") or {}).get(table or "")
    if not sample:
        return {"headers": ["no sample rows yet"], "data": []}
    return {"headers": sample["columns"], "data": sample["rows"]}


def history_rows(records: list[Mapping[str, Any]]) -> list[list[Any]]:
    """The session's runs, newest first."""
    rows = []
    for r in records:
        manifest = r.get("manifest") or {}
        total = manifest.get("total_rows")
        rows.append([
            run_name(r),
            f"{r.get('households', 0):,}",
            _destination(r),
            f"{STATUS_MARK.get(r['status'], '')} {r['status']}",
            f"{total:,}" if total is not None else "-",
            f"{manifest['wall_seconds']:.1f}" if manifest.get("wall_seconds") is not None else "-",
        ])
    return rows


def _destination(record: Mapping[str, Any]) -> str:
    """Short: the kind of destination (the run's name is its folder; the full path is on the results), catalog.schema on UC."""
    spec = record.get("spec", {})
    return f"local folder ({spec.get('format')})" if spec.get("out") else f"{spec.get('location', '')} (Unity Catalog)"


def run_name(record: Mapping[str, Any]) -> str:
    """The run's name as the user chose it ({purpose}_{scale}_{timestamp}); the id for older records."""
    spec = record.get("spec", {})
    return record.get("name") or spec.get("prefix") or (Path(spec["out"]).name if spec.get("out") else record["run_id"])


def run_label(record: Mapping[str, Any]) -> str:
    return f"{run_name(record)} · {record.get('households', 0):,} households · {record['status']}"


def preview_html(found: Mapping[str, Any], households: int) -> str:
    """A preview (`Runner.preview`) as one small HTML table per table, in TABLES order."""
    seconds = found.get("seconds")
    took = f" in {seconds:.2f} s" if isinstance(seconds, (int, float)) else ""
    spark = found.get("spark_seconds")
    engine_text = "warm engine" if found.get("warm") else "newly started engine" + (f" (Spark started in {spark:.1f} s)" if isinstance(spark, (int, float)) else "")
    parts = [
        f'<p class="preview-note">The first rows of every table for these settings, computed{took} by the '
        f"{engine_text} (each equals <code>idgraph row TABLE KEY</code> of its key).</p>"
    ]
    for table in TABLES:
        data = found["tables"].get(table) or {"columns": [], "rows": []}
        parts.append(f"<h4>{html.escape(table)}</h4>")
        if not data["rows"]:
            parts.append(f"<p>No rows for these settings among those of the first {min(households, PREVIEW_ROOTS):,} households.</p>")
            continue
        head = "".join(f"<th>{html.escape(column)}</th>" for column in data["columns"])
        body = "".join("<tr>" + "".join(f"<td>{'<i>null</i>' if v is None else html.escape(v)}</td>" for v in row) + "</tr>" for row in data["rows"])
        parts.append(f'<div class="preview-table"><table data-table="{html.escape(table)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')
    return "\n".join(parts)
