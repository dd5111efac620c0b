"""The benchmarks tab's data: results read from `bench/results/*.json`, plotted, and small runs started.

The harness's JSON layout may grow, so files are read defensively: measurements come from
a top-level `results` or `runs` list (or a bare list), each item giving a scale
(`scale` or `households`), a `table` (or a nested `tables` mapping of table -> numbers),
`rows_per_s` and the raw Spark write limit `limit_rows_per_s` measured in the same run.
Unreadable files are listed with the reason instead of breaking the tab. A small
benchmark is an `idgraph bench` subprocess (its own process group) whose output is shown
as it runs.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

RESULTS_GLOB = "*.json"
# Keys that may carry each number, first match wins (the harness's schema is not fixed yet).
SCALE_KEYS = ("scale", "households")
RATE_KEYS = ("rows_per_s", "rows_per_second")
LIMIT_KEYS = ("limit_rows_per_s", "limit_rows_per_second", "spark_limit_rows_per_s")
ENVIRONMENT_KEYS = ("environment", "env", "machine")
TIME_KEYS = ("timestamp", "started_at", "created_at", "date")
LOG_LINES = 400


@dataclass(frozen=True)
class Measurement:
    scale: int
    table: str
    rows_per_s: float
    limit_rows_per_s: float | None


@dataclass
class ResultFile:
    path: Path
    label: str
    environment: dict[str, Any] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    error: str | None = None


def _first(item: dict[str, Any], keys: Iterable[str]) -> Any:
    return next((item[k] for k in keys if item.get(k) is not None), None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def measurements(items: list[Any]) -> list[Measurement]:
    """Every (scale, table, rows/s, limit) found in a results list; incomplete items are skipped."""
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        scale = _number(_first(item, SCALE_KEYS))
        nested = item.get("tables")
        rows = [{**item, **v, "table": t} for t, v in nested.items() if isinstance(v, dict)] if isinstance(nested, dict) else [item]
        for row in rows:
            rate = _number(_first(row, RATE_KEYS))
            row_scale = _number(_first(row, SCALE_KEYS)) or scale
            if rate is None or row_scale is None:
                continue
            found.append(Measurement(int(row_scale), str(row.get("table") or "all tables"), rate, _number(_first(row, LIMIT_KEYS))))
    return found


def read_result(path: Path) -> ResultFile:
    """One results file; `error` says why nothing could be read from it."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return ResultFile(path, path.stem, error=f"unreadable: {exc}")
    items = data if isinstance(data, list) else next((data[k] for k in ("results", "runs") if isinstance(data.get(k), list)), []) if isinstance(data, dict) else []
    meta = data if isinstance(data, dict) else {}
    environment = _first(meta, ENVIRONMENT_KEYS)
    when = _first(meta, TIME_KEYS) or _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc).isoformat(timespec="minutes")
    found = measurements(items)
    result = ResultFile(path, f"{path.stem} ({str(when)[:16]})", environment if isinstance(environment, dict) else {}, found)
    if not found:
        result.error = "no measurements (expected a results/runs list of {scale, table, rows_per_s, limit_rows_per_s})"
    return result


def load_results(folder: str | os.PathLike) -> list[ResultFile]:
    """All results files of a folder, oldest first; an absent folder has none."""
    folder = Path(folder)
    return [read_result(p) for p in sorted(folder.glob(RESULTS_GLOB))] if folder.is_dir() else []


def summary_rows(results: list[ResultFile]) -> list[list[Any]]:
    """[result, scale, table, rows/s, limit rows/s, % of limit] for every measurement."""
    rows = []
    for r in results:
        for m in r.measurements:
            share = f"{100 * m.rows_per_s / m.limit_rows_per_s:.0f}%" if m.limit_rows_per_s else "-"
            limit = f"{m.limit_rows_per_s:,.0f}" if m.limit_rows_per_s else "-"
            rows.append([r.label, f"{m.scale:,}", m.table, f"{m.rows_per_s:,.0f}", limit, share])
    return rows


def environment_rows(results: list[ResultFile]) -> list[list[Any]]:
    """[result, setting, value] for each result's environment (nested values flattened)."""
    rows = []
    for r in results:
        if r.error:
            rows.append([r.label, "error", r.error])
        for key, value in _flatten(r.environment):
            rows.append([r.label, key, str(value)])
    return rows


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items = []
    for key, value in data.items():
        if isinstance(value, dict):
            items.extend(_flatten(value, f"{prefix}{key}."))
        else:
            items.append((f"{prefix}{key}", value))
    return items


def plot(results: list[ResultFile]) -> Any:
    """Rows/s against scale, one panel per table, one colour per result; the limit dashed beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tables = list(dict.fromkeys(m.table for r in results for m in r.measurements))
    if not tables:
        fig, ax = plt.subplots(figsize=(10, 2.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "No benchmark results yet: run `idgraph bench` or the small run below.", ha="center", va="center", fontsize=12)
        return fig
    columns = min(4, len(tables))
    rows = -(-len(tables) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 3.0 * rows), squeeze=False, constrained_layout=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, table in zip(axes.flat, tables):
        for index, r in enumerate(results):
            points = sorted((m.scale, m.rows_per_s, m.limit_rows_per_s) for m in r.measurements if m.table == table)
            if not points:
                continue
            colour = colours[index % len(colours)]
            ax.plot([p[0] for p in points], [p[1] for p in points], "o-", color=colour, label=r.label)
            limits = [(p[0], p[2]) for p in points if p[2]]
            if limits:
                ax.plot([p[0] for p in limits], [p[1] for p in limits], "--", color=colour, alpha=0.6, label=f"{r.label}: Spark write limit")
        ax.set_title(table, fontsize=10)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("households")
        ax.set_ylabel("rows/s")
        ax.grid(True, which="both", alpha=0.3)
    for ax in list(axes.flat)[len(tables):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(3, len(labels)), fontsize=8)
    return fig


class BenchmarkRun:
    """One `idgraph bench ARGS` subprocess at a time, its output kept for the page."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-m", "engine", "bench"]
        self.process: subprocess.Popen | None = None
        self.lines: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self.args: list[str] = []
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, args: list[str]) -> bool:
        """Start a run unless one is going; False when one is."""
        with self._lock:
            if self.running:
                return False
            self.lines.clear()
            self.args = list(args)
            self.process = subprocess.Popen([*self.command, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        return True

    def _read(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def status(self) -> str:
        if self.process is None:
            return "No benchmark started from this app yet."
        code = self.process.poll()
        what = f"`idgraph bench {' '.join(self.args)}`"
        if code is None:
            return f"running {what}"
        return f"{'finished' if code == 0 else f'exited with status {code}'}: {what}"

    def log(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
