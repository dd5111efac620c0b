"""Runs launched from the form: a queue, worker processes, progress records, cancel and shutdown.

The app never generates in its own process. `Runner.submit` queues a run; a dispatcher
thread starts at most `max_concurrent` at a time (two runs writing the same folder never
overlap). A local run is a `python -m ui.worker` process in its own process group (Spark's
JVM is its child), read line by line; each JSON event updates the run's record, which is
saved to the state store (under the runner's lock, so the file always holds the latest
state) and the history survives a restart. Cancel and shutdown stop the
whole group (SIGTERM, then SIGKILL after a grace period) and remove any staging folder the
engine left, so nothing half-written remains under the output's name.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Protocol

from engine import (
    ConfigError,
    RunDone,
    ShuttingDownError,
    TableFailed,
    TableFinished,
    TableStarted,
    clean_partial_output,
    event_from_dict,
)

from .state import Store, new_run_id, utc_now

ACTIVE = ("queued", "running", "cancelling")
TERMINAL = ("succeeded", "failed", "cancelled", "interrupted")
# Seconds a stopped worker gets to exit on SIGTERM before its group is killed.
STOP_GRACE_SECONDS = 4.0
# Lines of the worker's log kept in a failed run's error.
LOG_TAIL_LINES = 15


def apply_event(record: dict[str, Any], event: dict[str, Any]) -> None:
    """Fold one progress event (worker line or Jobs poll) into a run record, in place.

    The engine's own events (engine.TableStarted, ...) are decoded once; the rest are the
    worker's phases (Spark, checks, samples)."""
    now = event.get("time") or time.time()
    kind = event.get("event")
    typed = event_from_dict(event)
    tables = record.setdefault("tables", {})
    if kind == "spark_starting":
        record["phase"] = "starting Spark"
    elif kind == "spark_ready":
        record["phase"] = "preparing: rendering the SQL and planning the tables"
        record["spark_seconds"] = event.get("seconds")
    elif isinstance(typed, TableStarted):
        record["phase"] = f"generating {typed.table} ({typed.index + 1}/{typed.total})"
        record.setdefault("generation_started", now)
        tables[typed.table] = {"status": "running", "started": now}
    elif isinstance(typed, TableFinished):
        table = tables.setdefault(typed.table, {"started": now})
        table.update(status="done", rows=typed.rows, bytes=typed.bytes, files=typed.files, seconds=typed.seconds, path=typed.path)
    elif isinstance(typed, RunDone):
        record["manifest"] = typed.manifest
        record["generation_seconds"] = (typed.manifest or {}).get("wall_seconds")
    elif kind == "validating":
        record["phase"] = f"validating ({event['total']} checks)"
    elif kind == "check":
        record.setdefault("checks", []).append({k: event[k] for k in ("name", "description", "violations", "seconds", "passed")})
    elif kind == "sampling":
        record["phase"] = "reading sample rows"
    elif kind == "samples":
        record["samples"] = event.get("samples")
    elif isinstance(typed, TableFailed):
        record.setdefault("error", typed.error)
        for table in tables.values():
            if table.get("status") == "running":
                table["status"] = "stopped"
    elif kind == "complete":
        record["complete"] = True


def submission_order(record: dict[str, Any]) -> tuple[float, str]:
    """Sort key: when the run was submitted (run ids of the same second are in random order)."""
    return (record.get("submitted") or 0.0, record["run_id"])


class Execution(Protocol):
    """How one run is carried out (a local worker process, or a Databricks Jobs run)."""

    def start(self) -> None: ...
    def cancel(self) -> None: ...
    def shutdown(self) -> None: ...


class LocalExecution:
    """A run as a `python -m ui.worker` process group; events read from its stdout."""

    def __init__(self, runner: "Runner", run_id: str, command: list[str]) -> None:
        self.runner, self.run_id, self.command = runner, run_id, command
        self.process: subprocess.Popen | None = None
        self.stop_reason: str | None = None

    def start(self) -> None:
        record = self.runner.snapshot(self.run_id)
        folder = self.runner.store.run_dir(self.run_id)
        spec_path = folder / "spec.json"
        spec_path.write_text(json.dumps(record["spec"], indent=2))
        log = open(folder / "worker.log", "ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [*self.command, str(spec_path)], stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, cwd=folder, env=env, start_new_session=True
        )
        log.close()
        self.runner.patch(self.run_id, worker_pid=self.process.pid)
        threading.Thread(target=self._read, name=f"worker-{self.run_id}", daemon=True).start()
        if self.stop_reason:  # cancelled while the process was being started
            self._stop(self.stop_reason)

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            self.runner.update(self.run_id, event)
        code = self.process.wait()
        record = self.runner.snapshot(self.run_id)
        clean_partial_output(record["spec"]["out"])
        if self.stop_reason:
            self.runner.finish(self.run_id, self.stop_reason, None)
        elif code == 0 and record.get("complete"):
            self.runner.finish(self.run_id, "succeeded", None)
        else:
            self.runner.finish(self.run_id, "failed", record.get("error") or self._log_tail(code))

    def _log_tail(self, code: int) -> str:
        log = self.runner.store.run_dir(self.run_id) / "worker.log"
        lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:] if log.exists() else []
        return f"worker exited with status {code}\n" + "\n".join(lines)

    def _stop(self, reason: str) -> None:
        self.stop_reason = reason
        process = self.process
        if process is None or process.poll() is not None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        # The JVM may outlive the worker by a moment; make sure none of the group is left.
        _signal_group(process.pid, signal.SIGKILL)

    def cancel(self) -> None:
        self._stop("cancelled")

    def shutdown(self) -> None:
        self._stop("interrupted")


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def worker_command() -> list[str]:
    return [sys.executable, "-m", "ui.worker"]


def _output_key(record: dict[str, Any]) -> str:
    """What a run writes (two runs writing the same output never run at once): its folder, or
    for a Unity Catalog run its tables' schema and prefix (each launch's prefix is its own)."""
    spec = record["spec"]
    return spec.get("out") or f"{spec.get('location')}.{spec.get('prefix')}"


class Runner:
    """The app's runs: queue, dispatch, progress records, cancel, shutdown.

    `executions` maps a run kind to a factory `(runner, run_id) -> Execution`; "local"
    starts a worker process by default (tests pass another command).
    """

    def __init__(
        self,
        store: Store,
        max_concurrent: int = 1,
        command: list[str] | None = None,
        executions: dict[str, Callable[["Runner", str], Execution]] | None = None,
        kind_limits: dict[str, int] | None = None,
    ) -> None:
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int) or max_concurrent < 1:
            raise ConfigError("max_concurrent", max_concurrent, "a whole number of at least 1")
        self.store = store
        self.max_concurrent = max_concurrent
        # Runs of a kind that may go at once when not max_concurrent (Jobs runs: the job's limit).
        self.kind_limits = dict(kind_limits or {})
        command = command or worker_command()
        self.executions: dict[str, Callable[[Runner, str], Execution]] = {"local": lambda runner, run_id: LocalExecution(runner, run_id, command)}
        self.executions.update(executions or {})
        self._records: dict[str, dict[str, Any]] = {}
        self._running: dict[str, Execution] = {}
        self._lock = threading.Condition()
        self._stopping = False
        self._recover()
        self._resume()
        self._dispatcher = threading.Thread(target=self._dispatch, name="runner-dispatch", daemon=True)
        self._dispatcher.start()

    # ---- records ---------------------------------------------------------------------------
    def _recover(self) -> None:
        """Load the history; runs a previous app process left active are marked interrupted."""
        for record in self.store.load_runs():
            if record.get("status") in ACTIVE and not record.get("resumable"):
                record.update(status="interrupted", phase="interrupted: the app stopped", finished_at=utc_now())
                if record.get("kind") == "local":
                    clean_partial_output(record["spec"]["out"])
                self.store.save_run(record)
            self._records[record["run_id"]] = record

    def _resume(self) -> None:
        """Pick up runs that outlive the app (Jobs runs): start watching them again."""
        for run_id, record in list(self._records.items()):
            if not (record.get("resumable") and record["status"] in ACTIVE):
                continue
            factory = self.executions.get(record["kind"])
            if factory is None:
                self.finish(run_id, "interrupted", f"this app cannot follow {record['kind']} runs (not configured)")
                continue
            self._running[run_id] = factory(self, run_id)
            try:
                self._running[run_id].start()
            except Exception as exc:  # the workspace may be unreachable; say so on the run
                self.finish(run_id, "failed", f"could not resume: {type(exc).__name__}: {exc}")

    def snapshot(self, run_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._records[run_id])

    def runs_for(self, session_id: str) -> list[dict[str, Any]]:
        """This session's runs, newest first (other sessions' runs are never returned)."""
        with self._lock:
            found = [copy.deepcopy(r) for r in self._records.values() if r["session_id"] == session_id]
        return sorted(found, key=submission_order, reverse=True)

    def queue_position(self, run_id: str) -> int | None:
        """1 for the next run to start; None when the run is not queued."""
        with self._lock:
            queued = [r["run_id"] for r in sorted(self._records.values(), key=submission_order) if r["status"] == "queued"]
        return queued.index(run_id) + 1 if run_id in queued else None

    def update(self, run_id: str, event: dict[str, Any]) -> None:
        with self._lock:
            record = self._records[run_id]
            apply_event(record, event)
            self.store.save_run(record)

    def patch(self, run_id: str, **fields: Any) -> None:
        with self._lock:
            self._records[run_id].update(fields)
            self.store.save_run(self._records[run_id])

    def detach(self, run_id: str) -> None:
        """Forget an execution without finishing its run (a Jobs run the app stops watching)."""
        with self._lock:
            self._running.pop(run_id, None)
            self._lock.notify_all()

    def finish(self, run_id: str, status: str, error: str | None) -> None:
        with self._lock:
            record = self._records[run_id]
            record.update(status=status, finished_at=utc_now(), ended=time.time(), phase=status)
            if error and not record.get("error"):
                record["error"] = error
            self._running.pop(run_id, None)
            self.store.save_run(record)
            self._lock.notify_all()

    # ---- launching -----------------------------------------------------------------------------
    def submit(self, session_id: str, spec: dict[str, Any], kind: str = "local", **fields: Any) -> str:
        """Queue a run of `spec` for `session_id`; returns its run id."""
        if kind not in self.executions:
            raise ConfigError("kind", kind, f"one of {sorted(self.executions)}")
        run_id = new_run_id()
        record = {"run_id": run_id, "session_id": session_id, "kind": kind, "spec": spec, "status": "queued", "phase": "queued", "created_at": utc_now(), "submitted": time.time(), "tables": {}, **fields}
        with self._lock:
            if self._stopping:
                raise ShuttingDownError(f"launch {run_id}: refused, the app is shutting down")
            self._records[run_id] = record
            self.store.save_run(record)
            self._lock.notify_all()
        return run_id

    def _startable(self) -> list[str]:
        busy = {_output_key(self._records[r]) for r in self._running}
        running: dict[str, int] = {}
        for r in self._running:
            running[self._records[r]["kind"]] = running.get(self._records[r]["kind"], 0) + 1
        found = []
        for record in sorted(self._records.values(), key=submission_order):
            kind = record["kind"]
            if record["status"] != "queued" or _output_key(record) in busy:
                continue
            if running.get(kind, 0) >= self.kind_limits.get(kind, self.max_concurrent):
                continue
            found.append(record["run_id"])
            busy.add(_output_key(record))
            running[kind] = running.get(kind, 0) + 1
        return found

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                while not self._stopping and not self._startable():
                    self._lock.wait(1.0)
                if self._stopping:
                    return
                starting = self._startable()
                for run_id in starting:
                    self._records[run_id].update(status="running", phase="starting", started_at=utc_now(), started=time.time())
                    self.store.save_run(self._records[run_id])
                    self._running[run_id] = self.executions[self._records[run_id]["kind"]](self, run_id)
            for run_id in starting:
                try:
                    self._running[run_id].start()
                except Exception as exc:  # a worker that cannot start fails its run, not the app
                    self.finish(run_id, "failed", f"could not start: {type(exc).__name__}: {exc}")

    # ---- stopping ------------------------------------------------------------------------------
    def cancel(self, run_id: str, session_id: str) -> bool:
        """Cancel a queued or running run of this session; False when there is nothing to cancel."""
        with self._lock:
            record = self._records.get(run_id)
            if record is None or record["session_id"] != session_id or record["status"] not in ACTIVE:
                return False
            if record["status"] == "queued":
                record.update(status="cancelled", phase="cancelled before it started", finished_at=utc_now())
                execution = None
            else:
                record.update(status="cancelling", phase="cancelling")
                execution = self._running.get(run_id)
            self.store.save_run(record)
        if execution is not None:
            threading.Thread(target=execution.cancel, name=f"cancel-{run_id}", daemon=True).start()
        return True

    def wait(self, run_id: str, timeout: float) -> dict[str, Any]:
        """Block until the run is terminal (or `timeout` seconds pass); return its record."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._records[run_id]["status"] not in TERMINAL and time.monotonic() < deadline:
                self._lock.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            return copy.deepcopy(self._records[run_id])

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop dispatching, stop every active run, mark queued runs interrupted; returns when done."""
        with self._lock:
            self._stopping = True
            running = list(self._running.items())
            queued = [r for r in self._records.values() if r["status"] == "queued"]
            for record in queued:
                record.update(status="interrupted", phase="interrupted: the app stopped", finished_at=utc_now())
                self.store.save_run(record)
            self._lock.notify_all()
        threads = [threading.Thread(target=execution.shutdown, daemon=True) for _, execution in running]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            while self._running and time.monotonic() < deadline:
                self._lock.wait(0.2)
