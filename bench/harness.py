"""`idgraph bench`: run the scale ladder, one worker process per (scale, cores) cell.

The harness validates its arguments before any Spark work, starts `bench.worker` for
each cell in its own process (so `local[N]` takes effect and memory is measured
cleanly), then the same cell's plain-JVM process and its cold raw-limit process, shows
live progress, summarises the raw timings and writes `<out>/<timestamp>.json` (schema in
`bench/README.md`), a PNG plot and a Markdown summary. The results file is rewritten after
every cell; if a cell fails, the harness stops, marks the file incomplete with the error,
and exits 1.

`idgraph bench compare A.json B.json` compares two results files (exit 1 on a regression),
`idgraph bench render A.json` re-creates a results file's .md and .png, and `idgraph bench
--readme --readme-results A.json,...` rewrites the README's block from the files named.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, TextIO

from engine import DIRECTORY_FORMATS, ConfigError, GraphConfig

from .compare import DEFAULT_FAIL_ABOVE, compare, compare_markdown
from .environment import capture_environment, run_environment
from .report import markdown_summary, render, save_figure, update_readme_block
from .results import DEFAULT_FOLDER, SCHEMA_VERSION, ResultsSchemaError, load_results, validate_results
from .summary import scaling, summarise_cell

DEFAULT_SCALES = (10_000, 100_000, 1_000_000)
DEFAULT_REPEAT = 5
DEFAULT_REPLAY = 3
# plain / flagged JIT process pairs per cell (ABBA): two pairs, so neither side always runs first
DEFAULT_JIT_PAIRS = 2
REPO = Path(__file__).resolve().parent.parent
# Seconds a cell gets to exit after SIGTERM before it is killed.
_KILL_GRACE_SECONDS = 10
# Lines of the worker's stderr kept in an error report.
_LOG_TAIL_LINES = 40


class CellFailed(RuntimeError):
    """A (scale, cores) cell did not produce a result: crashed, timed out or reported an error."""

    def __init__(self, households: int, cores: int, message: str, log_tail: str = "") -> None:
        self.households, self.cores, self.message, self.log_tail = households, cores, message, log_tail
        self.results_path: Path | None = None  # set once the partial results are written
        super().__init__(f"{households:,} households on {cores} core(s): {message}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `idgraph bench`."""
    parser.add_argument("--scales", default=",".join(map(str, DEFAULT_SCALES)), help="households per cell, comma-separated (default 10000,100000,1000000)")
    parser.add_argument("--cores", default=str(os.cpu_count() or 1), help="local[N] core counts, comma-separated (default: all cores)")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help=f"timed passes per side and mode, ABBA order (default {DEFAULT_REPEAT}; 1 gives indicative figures)")
    parser.add_argument("--replay", type=int, default=DEFAULT_REPLAY, help=f"timed writes of each table's cached generated values, the limit's cross-check (default {DEFAULT_REPLAY}; 0: none)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-JVM and flagged-JVM processes (the generator with no JVM options, and with -XX:-DontCompileHugeMethods only)")
    parser.add_argument("--jit-pairs", type=int, default=DEFAULT_JIT_PAIRS,
                        help=f"plain-JVM / flagged-JVM process pairs per cell, in ABBA order (default {DEFAULT_JIT_PAIRS})")
    parser.add_argument("--no-single", action="store_true", help="skip the single-table passes (per-table figures then come from the concurrent passes)")
    parser.add_argument("--note", default=None, help="a sentence recorded with the results and shown in the summary (e.g. the machine was shared)")
    parser.add_argument("--format", default="delta", help="table format written: delta or parquet (default delta)")
    parser.add_argument("--out", default=str(DEFAULT_FOLDER), help=f"folder for <timestamp>.json/.png/.md (default {DEFAULT_FOLDER})")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds one cell may take before it counts as failed (default: no limit)")
    parser.add_argument("--work-dir", default=None, help="scratch folder for the written tables (default: the system temp folder)")
    parser.add_argument("--readme", action="store_true", help="only regenerate README.md's performance block from the results files named by --readme-results")
    parser.add_argument("--readme-path", default=str(REPO / "README.md"), help="the README whose bench block --readme rewrites")
    parser.add_argument(
        "--readme-results", default=None,
        help="with --readme: comma-separated complete results files (paths, or names in --out) to show, in order",
    )
    actions = parser.add_subparsers(dest="action", metavar="{compare,render}")
    comparing = actions.add_parser("compare", help="compare two results files; exit 1 on a regression")
    comparing.add_argument("a", help="the earlier results file (A)")
    comparing.add_argument("b", help="the later results file (B)")
    comparing.add_argument("--fail-above", default=f"{DEFAULT_FAIL_ABOVE:.0%}", help="cost growth that counts as a regression, e.g. 5%% or 0.05 (default 5%%)")
    rendering = actions.add_parser("render", help="re-create the .md and .png of results files from their JSON")
    rendering.add_argument("files", nargs="+", help="results files")


def parse_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Validated settings from the flags; raises ConfigError naming the flag, value and what is valid."""
    scales = _int_list("--scales", args.scales, "households")
    for households in scales:
        try:
            GraphConfig(households=households, seed=args.seed).validate()
        except ConfigError as exc:
            raise ConfigError("--scales", args.scales, f"valid household counts ({exc})") from None
    cores = _int_list("--cores", args.cores, "cores")
    if args.repeat < 1:
        raise ConfigError("--repeat", args.repeat, "a whole number of at least 1")
    if args.format not in DIRECTORY_FORMATS:
        raise ConfigError("--format", args.format, f"one of {list(DIRECTORY_FORMATS)}")
    if args.timeout is not None and args.timeout <= 0:
        raise ConfigError("--timeout", args.timeout, "a positive number of seconds")
    if args.replay < 0:
        raise ConfigError("--replay", args.replay, "a whole number of at least 0")
    if args.jit_pairs < 1:
        raise ConfigError("--jit-pairs", args.jit_pairs, "a whole number of at least 1")
    return {
        "scales": scales, "cores": cores, "repeat": args.repeat, "format": args.format, "seed": args.seed, "timeout": args.timeout,
        "replay": args.replay, "plain": not args.no_plain, "jit_pairs": args.jit_pairs, "single": not args.no_single, "note": args.note,
    }


def run(args: argparse.Namespace) -> int:
    """Entry point of `idgraph bench`: 0 when every cell finished, 1 when one failed."""
    out = Path(args.out)
    if getattr(args, "action", None) == "compare":
        return run_compare(args.a, args.b, args.fail_above)
    if getattr(args, "action", None) == "render":
        for name in args.files:
            markdown, png = render(name)
            print(f"{name}: wrote {markdown} and {png}")
        return 0
    if args.readme:
        if not args.readme_results:
            raise ConfigError("--readme-results", None, "the results files to show, named explicitly (e.g. --readme-results 20261130T181309Z.json)")
        return _regenerate_readme(out, Path(args.readme_path), args.readme_results)
    if args.readme_results:
        raise ConfigError("--readme-results", args.readme_results, "used together with --readme")
    settings = parse_settings(args)
    if args.work_dir:
        # a scratch folder that does not exist yet is made; one that cannot be is refused by name
        try:
            Path(args.work_dir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError("--work-dir", args.work_dir, f"a folder that exists or can be created ({exc.strerror})") from None
    command = "idgraph bench " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["bench"] else None
    try:
        results, path = run_ladder(settings, out, work_dir=args.work_dir, command=command)
    except CellFailed as exc:
        print(f"idgraph bench: {exc}", file=sys.stderr)
        if exc.log_tail:
            print("last lines of the cell's log:\n" + exc.log_tail, file=sys.stderr)
        print(f"idgraph bench: partial results (marked incomplete) in {exc.results_path}", file=sys.stderr)
        return 1
    print(markdown_summary(results))
    print(f"results: {path} (+ .png, .md)")
    return 0


def run_ladder(
    settings: dict[str, Any],
    out: Path,
    work_dir: str | None = None,
    command: str | None = None,
    stream: TextIO = sys.stderr,
) -> tuple[dict[str, Any], Path]:
    """Run every (scale, cores) cell; returns the results and the JSON path.

    Raises CellFailed (with `.results_path` set) after writing the partial results.
    """
    out.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"{stamp}.json"
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "complete": False,
        "error": None,
        "started_at": _now(),
        "finished_at": None,
        "command": command,
        "settings": settings,
        "environment": {**capture_environment(), "scales": run_environment(settings["scales"], settings["seed"])},
        "cells": [],
        "scaling": {"linear": [], "cores": []},
        "files": {"plot": path.with_suffix(".png").name, "markdown": path.with_suffix(".md").name},
    }
    progress = Progress(stream)
    cells = [(households, cores) for households in settings["scales"] for cores in settings["cores"]]
    for number, (households, cores) in enumerate(cells, start=1):
        progress.cell(number, len(cells), households, cores)
        try:
            raw = run_cell(households, cores, settings, work_dir, progress.event)
        except CellFailed as exc:
            results["error"] = {"households": households, "cores": cores, "message": exc.message, "log_tail": exc.log_tail}
            _write(results, path)
            exc.results_path = path
            raise
        results["cells"].append(summarise_cell(raw))
        results["scaling"] = scaling(results["cells"])
        _write(results, path)
    results["complete"] = True
    _write(results, path)
    return results, path


def worker_command(
    households: int, cores: int, settings: dict[str, Any], work_dir: Path, result: Path, limit_cold: Path | None = None, jvm: str | None = None,
) -> list[str]:
    """The command line of one cell's worker process (with `limit_cold`: its cold-limit process;
    with `jvm` "plain" or "flagged": one of its JIT processes)."""
    mode = ["--limit-cold", str(limit_cold)] if limit_cold is not None else ["--jvm", jvm] if jvm else [
        "--replay", str(settings.get("replay", 0)), *([] if settings.get("single", True) else ["--no-single"])]
    return [
        sys.executable, "-m", "bench.worker",
        "--households", str(households), "--cores", str(cores), "--repeat", str(settings["repeat"]),
        "--format", settings["format"], "--seed", str(settings["seed"]),
        "--work-dir", str(work_dir), "--result", str(result), "--launched-at", repr(time.time()),
        *mode,
    ]


def jit_order(pairs: int) -> list[str]:
    """The JIT processes of a cell, plain and flagged alternating ABBA: plain, flagged, flagged, plain, ..."""
    return [jvm for number in range(pairs) for jvm in (("plain", "flagged") if number % 2 == 0 else ("flagged", "plain"))]


def merge_jit_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One side's JIT processes as one record: the first process's cold figures, every
    process's timed passes pooled, and how many processes ran."""
    first = records[0]
    return {**first, "passes": [p for r in records for p in r["passes"]], "processes": len(records),
            "cold_walls": [r["cold_wall_seconds"] for r in records]}


def run_cell(households: int, cores: int, settings: dict[str, Any], work_dir: str | None, on_event: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Run one cell's worker process to the end, then (unless turned off) the generator in
    plain-JVM and flagged-JVM processes (`jit_pairs` pairs, ABBA: the same procedure, only the
    JIT flag differs), then the raw limit cold in a fresh process (same rows, files and
    calibrated column shapes); the raw record, or CellFailed."""
    raw = _run_worker(households, cores, settings, work_dir, on_event)
    if settings.get("plain", True):
        runs: dict[str, list[dict[str, Any]]] = {"plain": [], "flagged": []}
        for jvm in jit_order(settings.get("jit_pairs", DEFAULT_JIT_PAIRS)):
            runs[jvm].append(_run_worker(households, cores, settings, work_dir, on_event, jvm=jvm))
        raw["plain"], raw["flagged"] = merge_jit_records(runs["plain"]), merge_jit_records(runs["flagged"])
    spec = {"shapes": raw["shapes"], "tables": {t: {k: s[k] for k in ("rows", "files")} for t, s in raw["cold"]["tables"].items()}}
    raw["limit_cold"] = _run_worker(households, cores, settings, work_dir, on_event, limit_cold=spec)
    return raw


def _run_worker(
    households: int, cores: int, settings: dict[str, Any], work_dir: str | None, on_event: Callable[[dict[str, Any]], None],
    limit_cold: dict[str, Any] | None = None, jvm: str | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="idgraph-bench-", dir=work_dir) as scratch:
        scratch_path = Path(scratch)
        result = scratch_path / "result.json"
        log_path = scratch_path / "worker.log"
        spec_path = None
        if limit_cold is not None:
            spec_path = scratch_path / "limit-spec.json"
            spec_path.write_text(json.dumps(limit_cold))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        cmd = worker_command(households, cores, settings, scratch_path / "tables", result, spec_path, jvm=jvm)
        with open(log_path, "w") as log:
            try:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=REPO, start_new_session=True)
            except OSError as exc:
                raise CellFailed(households, cores, f"could not start the worker: {exc}") from None
            error = _follow(proc, settings.get("timeout"), on_event)
        tail = _tail(log_path)
        if error is None and proc.returncode != 0:
            error = f"worker exited with status {proc.returncode}"
        if error is None and not result.exists():
            error = "worker finished without writing its result"
        if error is not None:
            what = "raw limit cold run: " if limit_cold is not None else f"{jvm}-JVM run: " if jvm else ""
            raise CellFailed(households, cores, what + error, tail)
        return json.loads(result.read_text())


def _follow(proc: subprocess.Popen, timeout: float | None, on_event: Callable[[dict[str, Any]], None]) -> str | None:
    """Relay the worker's JSON-line events until it exits; an error message, or None."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout if timeout else None
    error = None
    try:
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                line = lines.get(timeout=wait)
            except queue.Empty:
                _stop(proc)
                return f"timed out after {timeout:g} s"
            if line is None:
                break
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # a stray print of some library: not an event
            if event.get("event") == "error":
                error = event["error"]
            on_event(event)
    except BaseException:
        _stop(proc)
        raise
    proc.wait()
    return error


def _stop(proc: subprocess.Popen) -> None:
    """End the worker and its JVM (they share the process group it was started in)."""
    for sig, grace in ((signal.SIGTERM, _KILL_GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


# Worker phases the status line names.
_PHASES = {
    "session": "starting Spark", "shapes": "measuring column shapes", "calibration": "calibrating the limit's bytes (warm-up)",
    "single": "single-table passes", "replay": "replaying cached tables", "plain": "plain JVM", "flagged": "flagged JVM (-XX:-DontCompileHugeMethods)", "limit-cold": "raw limit, cold",
}


class Progress:
    """Live progress on a stream: one line per pass, a rewritten status line on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.perf_counter()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.label = ""

    def cell(self, number: int, total: int, households: int, cores: int) -> None:
        self.label = f"cell {number}/{total}: {households:,} households x {cores} core(s)"
        self._line(self.label + " ...")

    def event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "phase" and event["phase"] in _PHASES:
            self._status(f"{self.label}: {_PHASES[event['phase']]}")
        elif kind == "started":
            self._status(f"{self.label}: {event['kind']} pass {event['pass']}: {event['table']} ({event['index'] + 1}/{event['total']})")
        elif kind == "pass":
            rate = event["rows"] / event["wall_seconds"] if event["wall_seconds"] else 0.0
            what = {"cold": "cold generate", "limit-cold": "raw limit cold, fresh process", "plain-cold": "plain JVM cold generate", "flagged-cold": "flagged JVM cold generate"}.get(event["kind"], f"{event['kind']} pass {event['pass']}/{event['of']}")
            extra = f", {event['cold_wall_seconds']:.1f}s since launch" if "cold_wall_seconds" in event else ""
            self._line(f"  {what}: {event['rows']:,} rows in {event['wall_seconds']:.1f}s ({rate:,.0f} rows/s{extra})")
        elif kind == "error":
            self._line(f"  failed: {event['error']}")

    def _status(self, text: str) -> None:
        if self.tty:
            self.stream.write(f"\r\033[K[{time.perf_counter() - self.started:7.1f}s] {text}")
            self.stream.flush()

    def _line(self, text: str) -> None:
        prefix = "\r\033[K" if self.tty else ""
        print(f"{prefix}[{time.perf_counter() - self.started:7.1f}s] {text}", file=self.stream, flush=True)


def run_compare(a: str, b: str, fail_above: str) -> int:
    """`idgraph bench compare`: print the comparison; 1 when a cell regressed, else 0."""
    threshold = _fraction("--fail-above", fail_above)
    rows = compare(load_results(a), load_results(b), threshold)
    print(compare_markdown(rows, a, b, threshold), end="")
    return 1 if any(r["regression"] for r in rows) else 0


def _fraction(flag: str, text: str) -> float:
    """'5%' or '0.05' as 0.05."""
    try:
        value = float(text[:-1]) / 100 if str(text).endswith("%") else float(text)
    except ValueError:
        raise ConfigError(flag, text, "a share such as 5% or 0.05") from None
    if not 0 <= value < 10:
        raise ConfigError(flag, text, "a share between 0% and 1000%")
    return value


def _regenerate_readme(out: Path, readme: Path, names: str) -> int:
    runs = _named_results(out, names)
    labelled = [(results, _shown_path(path)) for path, results in runs]
    changed = update_readme_block(readme, labelled[0][0], labelled[0][1], more=labelled[1:])
    print(f"{readme}: performance block {'updated' if changed else 'already up to date'} from {', '.join(str(p) for p, _ in runs)}")
    return 0


def _shown_path(path: Path) -> str:
    """A results file as the README names it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return path.name


def _named_results(out: Path, names: str) -> list[tuple[Path, dict[str, Any]]]:
    """The complete results files `names` (comma-separated paths, or names in --out), in that order."""
    runs = []
    for name in [n.strip() for n in names.split(",") if n.strip()]:
        path = Path(name) if Path(name).exists() else out / name
        try:
            results = load_results(path)
        except ResultsSchemaError as exc:
            raise ConfigError("--readme-results", name, f"a readable results file ({exc})") from None
        if not results.get("complete"):
            raise ConfigError("--readme-results", name, "a complete results file (this run did not finish)")
        runs.append((path, results))
    if not runs:
        raise ConfigError("--readme-results", names, "one or more results file names")
    return runs


def _write(results: dict[str, Any], path: Path) -> None:
    """Write the JSON (atomically), then the Markdown summary and the plot beside it."""
    if results["complete"]:
        results["finished_at"] = _now()
    validate_results(results)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1, default=str))
    os.replace(tmp, path)
    path.with_suffix(".md").write_text(markdown_summary(results))
    if results["cells"]:
        save_figure(results, path.with_suffix(".png"))


def _int_list(flag: str, text: str, what: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise ConfigError(flag, text, f"comma-separated whole numbers of {what}, e.g. 10000,100000") from None
    if not values or any(v < 1 for v in values):
        raise ConfigError(flag, text, f"comma-separated whole numbers of {what}, each at least 1")
    return values


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
