"""The Benchmarks tab's data: one results file at a time, its one-line answer, tables and picture.

Results are read through `bench.results` (the one reader of the harness's files: schema,
load, latest) and drawn with `bench.plot.results_figure` (the picture beside every results
file), so the tab shows exactly what `idgraph bench` wrote. The folder defaults to
`bench/results` beside the installed project (`bench.results.DEFAULT_FOLDER`) and is shown as
an absolute path. A small benchmark is an `idgraph bench` subprocess (its own process group)
whose output is shown as it runs.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bench.plot import results_figure
from bench.report import one_line_answer
from bench.results import DEFAULT_FOLDER, ResultsEntry, list_results

LOG_LINES = 400
WHOLE_GRAPH = "whole graph"
SUMMARY_HEADERS = [
    "households", "cores", "table", "rows", "generator s", "rows/s", "limit s", "limit rows/s",
    # plain-JVM rows/s over the flagged JVM's (results before 2026-12-02: over the engine session's)
    "ratio to limit [95% CI]", "plain JVM s", "plain JVM / flagged JVM",
]


def results_folder(folder: str | os.PathLike | None = None) -> Path:
    """The folder the tab reads, absolute (the default: beside the installed project)."""
    return Path(folder if folder is not None else DEFAULT_FOLDER).expanduser().resolve()


def entries(folder: str | os.PathLike) -> list[ResultsEntry]:
    """Every results file of the folder, newest first."""
    return list_results(folder)


def choices(found: list[ResultsEntry]) -> list[tuple[str, str]]:
    """Picker entries (label, path): newest first, each with its scales and cores."""
    picks = []
    for entry in found:
        if entry.results is None:
            picks.append((f"{entry.name} — unreadable", str(entry.path)))
            continue
        settings = entry.results["settings"]
        scales = ", ".join(_households(h) for h in settings["scales"])
        cores = ",".join(str(c) for c in settings["cores"])
        picks.append((f"{entry.name} — {scales} households × {cores} core(s), {settings['repeat']} pass(es)", str(entry.path)))
    return picks


def default_choice(found: list[ResultsEntry]) -> str | None:
    """The latest complete run (the newest file when none is complete)."""
    complete = [e for e in found if e.results is not None and e.results.get("complete")]
    pick = complete[0] if complete else (found[0] if found else None)
    return str(pick.path) if pick else None


def pick(found: list[ResultsEntry], path: str | None) -> ResultsEntry | None:
    return next((e for e in found if str(e.path) == path), None)


def headline(entry: ResultsEntry | None) -> str:
    """The one-line answer of a results file, or why there is none."""
    if entry is None:
        return "No benchmark results yet: run `idgraph bench` (or the small run below)."
    if entry.results is None:
        return f"`{entry.path.name}` could not be read: {entry.error}"
    return one_line_answer(entry.results)


def summary_rows(results: dict[str, Any] | None) -> list[list[Any]]:
    """One row per cell and table (the whole graph first): seconds and rows/s of both sides, the
    ratio to the limit with its interval, and the plain JVM beside the engine's own session."""
    if not results:
        return []
    rows = []
    for cell in results["cells"]:
        for name, stats in [(WHOLE_GRAPH, cell["graph"]), *cell["tables"].items()]:
            plain = stats.get("plain") or {}
            rows.append([
                f"{cell['households']:,}", cell["cores"], name, f"{stats['rows']:,}",
                f"{stats['generator']['median_seconds']:.2f}", _rate(stats["generator"]),
                f"{stats['limit']['median_seconds']:.2f}", _rate(stats["limit"]),
                _with_ci(stats.get("ratio"), stats.get("ratio_ci")),
                f"{plain['median_seconds']:.2f}" if plain else "–",
                _with_ci(stats.get("plain_ratio"), stats.get("plain_ratio_ci")),
            ])
    return rows


def environment_rows(entry: ResultsEntry | None) -> list[list[Any]]:
    """[setting, value] of a results file's run and environment (nested values flattened)."""
    if entry is None:
        return []
    if entry.results is None:
        return [["error", entry.error]]
    results = entry.results
    rows = [["file", str(entry.path)], ["run at", results.get("started_at")], ["command", results.get("command") or "–"]]
    if results["settings"].get("note"):
        rows.append(["note", results["settings"]["note"]])
    return rows + [[key, str(value)] for key, value in _flatten(results.get("environment") or {})]


def figure(entry: ResultsEntry | None) -> Any:
    """The results file's picture (a placeholder without one)."""
    return results_figure(entry.results if entry is not None and entry.results is not None else {"cells": []})


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items = []
    for key, value in data.items():
        if isinstance(value, dict):
            items.extend(_flatten(value, f"{prefix}{key}."))
        else:
            items.append((f"{prefix}{key}", value))
    return items


def _rate(stats: dict[str, Any]) -> str:
    rate = stats.get("rows_per_second")
    return f"{rate:,.0f}" if rate else "–"


def _with_ci(value: float | None, ci: list[float] | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} [{ci[0]:.2f}–{ci[1]:.2f}]" if ci else f"{value:.2f}"


def _households(value: int) -> str:
    return f"{value // 1_000_000}M" if value % 1_000_000 == 0 else f"{value // 1000}K" if value % 1000 == 0 else f"{value:,}"


class BenchmarkRun:
    """One `idgraph bench ARGS` subprocess at a time, its output kept for the page."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-m", "cli", "bench"]
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
