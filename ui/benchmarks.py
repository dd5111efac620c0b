"""The benchmarks tab's data: results read from `bench/results/*.json`, plotted, and small runs started.

Files are read defensively, so the tab works with any version of the harness's output
and with none at all. The harness's schema (bench/README.md, `schema_version` 1) is a
`cells` list, each cell a (households, cores) point with per-table
`{generator: {rows_per_second}, limit: {rows_per_second}}` and the same for the whole
`graph`. Flat lists under `results` or `runs` of `{scale|households, table, rows_per_s,
limit_rows_per_s}` are read too. Unreadable files are listed with the reason instead of
breaking the tab. A small benchmark is an `idgraph bench` subprocess (its own process
group) whose output is shown as it runs.
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
# Lists of measurements, by the key a results file keeps them under.
LIST_KEYS = ("cells", "results", "runs")
WHOLE_GRAPH = "whole graph"
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
    cores: int | None = None


@dataclass
class ResultFile:
    path: Path
    label: str
    environment: dict[str, Any] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    error: str | None = None
    when: str = ""


def _first(item: dict[str, Any], keys: Iterable[str]) -> Any:
    return next((item[k] for k in keys if item.get(k) is not None), None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _rates(row: dict[str, Any]) -> tuple[float | None, float | None]:
    """(generator rows/s, limit rows/s): flat keys, or nested `generator`/`limit` timings."""
    rate, limit = _number(_first(row, RATE_KEYS)), _number(_first(row, LIMIT_KEYS))
    if rate is None and isinstance(row.get("generator"), dict):
        rate = _number(_first(row["generator"], RATE_KEYS))
    if limit is None and isinstance(row.get("limit"), dict):
        limit = _number(_first(row["limit"], RATE_KEYS))
    return rate, limit


def measurements(items: list[Any]) -> list[Measurement]:
    """Every (scale, table, rows/s, limit, cores) found in a results list; incomplete items are skipped."""
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        nested = item.get("tables")
        rows = [{**item, **v, "table": t} for t, v in nested.items() if isinstance(v, dict)] if isinstance(nested, dict) else [item]
        if isinstance(item.get("graph"), dict):
            rows.append({**item, **item["graph"], "table": WHOLE_GRAPH})
        for row in rows:
            rate, limit = _rates(row)
            scale = _number(_first(row, SCALE_KEYS))
            if rate is None or scale is None:
                continue
            cores = _number(row.get("cores"))
            found.append(Measurement(int(scale), str(row.get("table") or WHOLE_GRAPH), rate, limit, int(cores) if cores else None))
    return found


def read_result(path: Path) -> ResultFile:
    """One results file; `error` says why nothing could be read from it."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return ResultFile(path, path.stem, error=f"unreadable: {exc}")
    items = data if isinstance(data, list) else next((data[k] for k in LIST_KEYS if isinstance(data.get(k), list)), []) if isinstance(data, dict) else []
    meta = data if isinstance(data, dict) else {}
    environment = _first(meta, ENVIRONMENT_KEYS)
    when = _first(meta, TIME_KEYS) or _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc).isoformat(timespec="minutes")
    found = measurements(items)
    incomplete = " (incomplete)" if meta.get("complete") is False else ""
    result = ResultFile(path, f"{path.stem}{incomplete}", environment if isinstance(environment, dict) else {}, found, when=str(when))
    if not found:
        result.error = "no measurements (expected a cells/results/runs list with households, tables and rows per second)"
    return result


def load_results(folder: str | os.PathLike) -> list[ResultFile]:
    """All results files of a folder, oldest first; an absent folder has none."""
    folder = Path(folder)
    return [read_result(p) for p in sorted(folder.glob(RESULTS_GLOB))] if folder.is_dir() else []


def summary_rows(results: list[ResultFile]) -> list[list[Any]]:
    """[result, households, cores, table, rows/s, limit rows/s, % of limit] for every measurement."""
    rows = []
    for r in results:
        for m in r.measurements:
            share = f"{100 * m.rows_per_s / m.limit_rows_per_s:.0f}%" if m.limit_rows_per_s else "-"
            limit = f"{m.limit_rows_per_s:,.0f}" if m.limit_rows_per_s else "-"
            rows.append([r.label, f"{m.scale:,}", m.cores or "-", m.table, f"{m.rows_per_s:,.0f}", limit, share])
    return rows


SUMMARY_HEADERS = ["result", "households", "cores", "table", "rows/s", "limit rows/s", "% of limit"]


def environment_rows(results: list[ResultFile]) -> list[list[Any]]:
    """[result, setting, value] for each result's time and environment (nested values flattened)."""
    rows = []
    for r in results:
        if r.when:
            rows.append([r.label, "run at", r.when])
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
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    tables = sorted(dict.fromkeys(m.table for r in results for m in r.measurements), key=lambda t: t != WHOLE_GRAPH)
    if not tables:
        fig, ax = plt.subplots(figsize=(10, 2.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "No benchmark results yet: run `idgraph bench` or the small run below.", ha="center", va="center", fontsize=12)
        return fig
    columns = min(4, len(tables))
    rows = -(-len(tables) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 3.0 * rows), squeeze=False, constrained_layout=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    series = list(dict.fromkeys((i, m.cores) for i, r in enumerate(results) for m in r.measurements))
    for ax, table in zip(axes.flat, tables):
        for index, (i, cores) in enumerate(series):
            r = results[i]
            points = sorted((m.scale, m.rows_per_s, m.limit_rows_per_s) for m in r.measurements if m.table == table and m.cores == cores)
            if not points:
                continue
            colour = colours[index % len(colours)]
            label = r.label + (f", {cores} core(s)" if cores else "")
            ax.plot([p[0] for p in points], [p[1] for p in points], "o-", color=colour, label=label)
            limits = [(p[0], p[2]) for p in points if p[2]]
            if limits:
                ax.plot([p[0] for p in limits], [p[1] for p in limits], "s--", color=colour, alpha=0.6, label=f"{label}: Spark write limit")
        ax.set_title(table, fontsize=10)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("households")
        ax.set_ylabel("rows/s")
        # Ticks a person can read: the measured scales on x, 1-2-5 steps with thousands separators on y.
        scales = sorted({m.scale for r in results for m in r.measurements if m.table == table})
        ax.set_xticks(scales, [f"{x:,}" for x in scales], fontsize=7)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.tick_params(axis="y", labelsize=7)
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
