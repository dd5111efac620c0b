"""Runs launched from the form: a queue, warm worker processes, progress records, cancel and shutdown.

The app never generates in its own process. `Runner.submit` queues a run; a dispatcher
thread starts at most `max_concurrent` at a time (two runs writing the same folder never
overlap). A local run is served by a warm worker (`python -m ui.worker --serve`, in its own
process group with Spark's JVM as its child) that keeps its Spark session between runs, so
only the first run pays Spark's start-up; the worker is replaced after a failed or
cancelled run, after `RECYCLE_AFTER_RUNS` runs, and when it dies (which fails only the run
it was serving). Its JSON event lines update the run's record, which is saved to the state
store (under the runner's lock, so the file always holds the latest state) and the history
survives a restart. Cancel and shutdown stop the worker's whole group (SIGTERM, then SIGKILL
after a grace period) and remove any staging folder the engine left, so nothing
half-written remains under the output's name. `Runner.preview` asks an idle warm worker
for the first rows of every table, and says the engine is busy rather than wait for a run.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Protocol

from engine import (
    ConfigError,
    IdgraphError,
    RunDone,
    ShuttingDownError,
    TableFailed,
    TableFinished,
    TableStarted,
    clean_partial_output,
    event_from_dict,
)

from .state import Store, new_run_id, utc_now
from .worker import END_EVENT, SERVE_FLAG

ACTIVE = ("queued", "running", "cancelling")
TERMINAL = ("succeeded", "failed", "cancelled", "interrupted")
# Seconds a stopped worker gets to exit on SIGTERM before its group is killed.
STOP_GRACE_SECONDS = 4.0
# Lines of the worker's log kept in a failed run's error.
LOG_TAIL_LINES = 15
# The folder holding the `ui` and `engine` packages this process runs.
CODE_ROOT = Path(__file__).resolve().parents[1]
# Runs a warm worker serves before it is replaced by a fresh process and JVM: bounds what a
# long-lived Spark session gathers (compiled classes, cached plans, broadcast leftovers).
RECYCLE_AFTER_RUNS = 20
# Seconds a preview may take, a cold worker's Spark start-up included, before it is abandoned.
PREVIEW_TIMEOUT_SECONDS = 240.0


def apply_event(record: dict[str, Any], event: dict[str, Any]) -> None:
    """Fold one progress event (worker line or Jobs poll) into a run record, in place.

    The engine's own events (engine.TableStarted, ...) are decoded once; the rest are the
    worker's phases (Spark, checks, samples)."""
    now = event.get("time") or time.time()
    kind = event.get("event")
    typed = event_from_dict(event)
    tables = record.setdefault("tables", {})
    if kind == "spark_starting":
        record["phase"] = "reusing the warm Spark session" if event.get("warm") else "starting Spark"
    elif kind == "spark_ready":
        record["phase"] = "preparing: rendering the SQL and planning the tables"
        record["spark_seconds"] = event.get("seconds")
        record["warm"] = bool(event.get("warm"))
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


class WorkerDiedError(IdgraphError):
    """A warm worker's process ended in the middle of a request (killed, crashed, or out of memory)."""


class WorkerBusyError(IdgraphError):
    """Every warm worker is busy (a generation run, or another preview): a preview would have to wait."""


class PreviewError(IdgraphError):
    """The worker could not compute the preview; the message is the worker's own."""


class WarmWorker:
    """One `python -m ui.worker --serve` process group (Spark's JVM in it), kept between runs.

    Requests go in as JSON lines on its stdin; a reader thread queues the event lines of its
    stdout, and `request` hands them out until the request's `end` event. Its stderr (Spark's
    log) goes to one log file, from which each run's part is copied to the run's own log.
    """

    def __init__(self, command: list[str], log_path: Path) -> None:
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # The worker imports the same `ui` and `engine` as this process, whatever its working
        # folder (an editable install elsewhere would otherwise win over this checkout).
        path = os.pathsep.join(p for p in (str(CODE_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*command, SERVE_FLAG], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=log_path.parent, env=env, start_new_session=True
            )
        self.runs = 0
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, name=f"warm-worker-{self.pid}", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self._events.put(json.loads(line))
            except json.JSONDecodeError:
                continue
        self._events.put(None)

    def request(self, message: dict[str, Any], on_event: Callable[[dict[str, Any]], None]) -> int:
        """Send one request; pass each of its events to `on_event`; return its end status.
        WorkerDiedError when the process ends first."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except (OSError, ValueError) as exc:  # the pipe is closed: the worker is gone
            raise WorkerDiedError(f"worker exited with status {self.process.wait()}") from exc
        while True:
            event = self._events.get()
            if event is None:
                raise WorkerDiedError(f"worker exited with status {self.process.wait()}")
            if event.get("event") == END_EVENT:
                return int(event.get("status", 1))
            on_event(event)

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> bytes:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read()

    def stop(self) -> None:
        """Stop the whole group: SIGTERM, SIGKILL after STOP_GRACE_SECONDS (the JVM included)."""
        if self.alive():
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(self.pid, signal.SIGKILL)
                self.process.wait()
        # The JVM may outlive the worker by a moment; make sure none of the group is left.
        _signal_group(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """End an idle worker: its stdin closed, it stops Spark and exits; stopped if it does not."""
        try:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(STOP_GRACE_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.stop()


class WarmPool:
    """The warm workers of local runs: at most `size` (the runner's max_concurrent), one per
    run going at once. A worker is reused until it has served `recycle_after` runs, a run of
    it failed or was cancelled, or it died; then it is ended and the next run starts a new
    one. Previews use an idle worker, or start one when there is room, and never wait for a
    generation run."""

    def __init__(self, command: list[str], folder: Path, size: int, recycle_after: int = RECYCLE_AFTER_RUNS) -> None:
        self.command, self.folder, self.size, self.recycle_after = command, folder, size, recycle_after
        self._idle: list[WarmWorker] = []
        self._busy: dict[int, str] = {}  # pid -> what it is doing ("run" or "preview")
        self._workers: dict[int, WarmWorker] = {}
        self._lock = threading.Condition()
        self._closed = False
        self._started = itertools.count(1)  # numbers the workers' log files: never two on one file
        self._closing: set[WarmWorker] = set()  # ended workers still being closed (shutdown stops them too)

    def _start(self) -> WarmWorker:
        worker = WarmWorker(self.command, self.folder / f"worker-{time.strftime('%Y%m%dt%H%M%S')}-{next(self._started)}.log")
        self._workers[worker.pid] = worker
        return worker

    def _take_idle(self) -> WarmWorker | None:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive():
                return worker
            self._workers.pop(worker.pid, None)
            worker.stop()
        return None

    def _pick(self) -> WarmWorker | None:
        """An idle live worker, else a new one while a slot is free, else None (under the lock)."""
        return self._take_idle() or (self._start() if len(self._workers) < self.size else None)

    def acquire(self, purpose: str = "run", stop: threading.Event | None = None) -> WarmWorker | None:
        """A worker for a run: an idle one, or a new one; waits while a preview holds the last
        slot, and returns None at once when `stop` is set meanwhile (the run was cancelled)."""
        with self._lock:
            while True:
                if self._closed:
                    raise ShuttingDownError("the runner is shutting down")
                if stop is not None and stop.is_set():
                    return None
                worker = self._pick()
                if worker is not None:
                    self._busy[worker.pid] = purpose
                    return worker
                self._lock.wait(0.5)

    def acquire_for_preview(self) -> WarmWorker:
        """A worker for a preview, without waiting: WorkerBusyError when every one is busy."""
        with self._lock:
            if self._closed:
                raise ShuttingDownError("the runner is shutting down")
            worker = self._pick()
            if worker is None:
                doing = "a generation run" if "run" in self._busy.values() else "another preview"
                raise WorkerBusyError(f"the engine is busy with {doing}")
            self._busy[worker.pid] = "preview"
            return worker

    def release(self, worker: WarmWorker, recycle: bool = False) -> None:
        """Give a worker back: kept warm, or ended (failed/cancelled run, died, or served its runs)."""
        with self._lock:
            self._busy.pop(worker.pid, None)
            keep = not recycle and not self._closed and worker.alive() and worker.runs < self.recycle_after
            if keep:
                self._idle.append(worker)
            else:
                self._workers.pop(worker.pid, None)
            self._lock.notify_all()
        if not keep:
            self.end(worker)

    def end(self, worker: WarmWorker, wait: bool = False) -> None:
        """Close an ended worker (in the background unless `wait`); shutdown stops it if still closing."""
        with self._lock:
            self._workers.pop(worker.pid, None)
            self._closing.add(worker)

        def close() -> None:
            try:
                worker.close()
            finally:
                with self._lock:
                    self._closing.discard(worker)

        if wait:
            close()
        else:
            threading.Thread(target=close, name=f"close-worker-{worker.pid}", daemon=True).start()

    def wake(self) -> None:
        """Wake runs waiting in `acquire` (one of them was cancelled)."""
        with self._lock:
            self._lock.notify_all()

    def busy_with(self) -> list[str]:
        with self._lock:
            return list(self._busy.values())

    def pids(self) -> list[int]:
        with self._lock:
            return list(self._workers)

    def close(self) -> None:
        """Refuse new requests; runs waiting in `acquire` give up (ShuttingDownError)."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def shutdown(self) -> None:
        """End every worker, idle or not (an active run's execution stops its own first)."""
        with self._lock:
            self._closed = True
            workers = list(self._workers.values()) + list(self._closing)
            self._idle.clear()
            self._lock.notify_all()
        threads = [threading.Thread(target=w.stop, daemon=True) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(STOP_GRACE_SECONDS + 2)


class LocalExecution:
    """A local run served by a warm worker of the runner's pool; events read from its stdout."""

    def __init__(self, runner: "Runner", run_id: str) -> None:
        self.runner, self.run_id = runner, run_id
        self.worker: WarmWorker | None = None  # the worker serving the run, for cancel to stop
        self._held: WarmWorker | None = None  # the worker acquired and not yet given back
        self.stop_reason: str | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def start(self) -> None:
        record = self.runner.snapshot(self.run_id)
        (self.runner.store.run_dir(self.run_id) / "spec.json").write_text(json.dumps(record["spec"], indent=2))
        threading.Thread(target=self._serve, args=(record["spec"],), name=f"run-{self.run_id}", daemon=True).start()

    def _serve(self, spec: dict[str, Any]) -> None:
        """Serve the run; whatever goes wrong (a worker that cannot start, a full disk) ends it
        as failed and gives its worker back, so no run is left "running" holding a slot."""
        worker: WarmWorker | None = None
        try:
            worker = self.runner.pool.acquire(stop=self._stopped)
            if worker is None:  # cancelled while waiting for a worker: it never ran
                self.runner.finish(self.run_id, self.stop_reason or "cancelled", None)
                return
            self._held = worker
            self._run(worker, spec)
        except ShuttingDownError:
            self.runner.finish(self.run_id, self.stop_reason or "interrupted", None)
        except Exception as exc:  # noqa: BLE001 - any failure must end the run, never strand it
            clean_partial_output(spec["out"])
            self.runner.finish(self.run_id, self.stop_reason or "failed", None if self.stop_reason else f"could not run: {type(exc).__name__}: {exc}")
        finally:
            if worker is not None:
                self._give_back(worker, recycle=True)  # a no-op once _run gave it back

    def _run(self, worker: WarmWorker, spec: dict[str, Any]) -> None:
        pool = self.runner.pool
        with self._lock:
            self.worker = worker
            stopping = self.stop_reason is not None
        if stopping:  # cancelled between acquire and now: it never ran
            self._give_back(worker)
            self.runner.finish(self.run_id, self.stop_reason or "cancelled", None)
            return
        worker.runs += 1
        self.runner.patch(self.run_id, worker_pid=worker.pid, worker_run=worker.runs)
        offset = worker.log_size()
        died: WorkerDiedError | None = None
        try:
            status = worker.request({"request": "run", "spec": spec}, lambda event: self.runner.update(self.run_id, event))
        except WorkerDiedError as exc:
            died, status = exc, None
            worker.stop()  # its JVM may outlive it by a moment: stopped before the output is cleaned
        if self.stop_reason:
            self._stopped.wait(STOP_GRACE_SECONDS * 3)
        log = self._keep_log(worker, offset)
        clean_partial_output(spec["out"])
        record = self.runner.snapshot(self.run_id)
        stop_reason = self.stop_reason  # a cancel after this point comes too late to change the outcome
        succeeded = status == 0 and record.get("complete") and not stop_reason
        self._give_back(worker, recycle=not succeeded)
        if stop_reason:
            self.runner.finish(self.run_id, stop_reason, None)
        elif succeeded:
            self.runner.finish(self.run_id, "succeeded", None)
        else:
            tail = "\n".join(log.splitlines()[-LOG_TAIL_LINES:])
            self.runner.finish(self.run_id, "failed", record.get("error") or f"{died or f'worker reported status {status}'}\n{tail}")

    def _give_back(self, worker: WarmWorker, recycle: bool = False) -> None:
        """Release the worker once; from then on a late cancel no longer reaches it (another request may hold it)."""
        with self._lock:
            if self._held is not worker:
                return
            self._held = None
            if self.worker is worker:
                self.worker = None
        self.runner.pool.release(worker, recycle=recycle)

    def _keep_log(self, worker: WarmWorker, offset: int) -> str:
        """Copy this run's part of the warm worker's log to the run's own worker.log; return it."""
        part = worker.log_since(offset)
        with open(self.runner.store.run_dir(self.run_id) / "worker.log", "ab") as log:
            log.write(part)
        return part.decode(errors="replace")

    def _stop(self, reason: str) -> None:
        with self._lock:
            self.stop_reason = reason
            worker = self.worker
            if worker is not None:
                worker.stop()  # under the lock: the run cannot give it back meanwhile
        self._stopped.set()
        self.runner.pool.wake()

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


def _fold_preview(found: dict[str, Any], event: dict[str, Any]) -> None:
    """Keep what a preview request's events say: its tables, whether Spark was warm, its error."""
    kind = event.get("event")
    if kind == "preview":
        found.update(tables=event["tables"], seconds=event.get("seconds"))
    elif kind == "spark_ready":
        found.update(warm=bool(event.get("warm")), spark_seconds=event.get("seconds"))
    elif kind == "failed":
        found.setdefault("error", event.get("error"))


def _output_key(record: dict[str, Any]) -> str:
    """What a run writes (two runs writing the same output never run at once): its folder, or
    for a Unity Catalog run its tables' schema and prefix (each launch's prefix is its own)."""
    spec = record["spec"]
    return spec.get("out") or f"{spec.get('location')}.{spec.get('prefix')}"


class Runner:
    """The app's runs: queue, dispatch, progress records, cancel, shutdown.

    `executions` maps a run kind to a factory `(runner, run_id) -> Execution`; "local"
    runs are served by the pool of warm workers (`command` + `--serve`; tests pass another
    command), at most `max_concurrent` of them, each replaced after `recycle_after` runs.
    """

    def __init__(
        self,
        store: Store,
        max_concurrent: int = 1,
        command: list[str] | None = None,
        executions: dict[str, Callable[["Runner", str], Execution]] | None = None,
        kind_limits: dict[str, int] | None = None,
        recycle_after: int = RECYCLE_AFTER_RUNS,
    ) -> None:
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int) or max_concurrent < 1:
            raise ConfigError("max_concurrent", max_concurrent, "a whole number of at least 1")
        self.store = store
        self.max_concurrent = max_concurrent
        # Runs of a kind that may go at once when not max_concurrent (Jobs runs: the job's limit).
        self.kind_limits = dict(kind_limits or {})
        self.pool = WarmPool(command or worker_command(), Path(getattr(store, "root", ".")) / "workers", max_concurrent, recycle_after)
        self.executions: dict[str, Callable[[Runner, str], Execution]] = {"local": LocalExecution}
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
        self.pool.close()  # runs waiting for a worker give up at once
        threads = [threading.Thread(target=execution.shutdown, daemon=True) for _, execution in running]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            while self._running and time.monotonic() < deadline:
                self._lock.wait(0.2)
        self.pool.shutdown()

    # ---- previews ------------------------------------------------------------------------------
    def preview(self, config: dict[str, Any], rows: int = 5, cores: str = "*", timeout: float = PREVIEW_TIMEOUT_SECONDS) -> dict[str, Any]:
        """The first `rows` rows of every table for `config` (a GraphConfig dict), from a warm
        worker: {"tables": {table: {"columns", "rows"}}, "seconds", "warm", "worker_pid"}.

        WorkerBusyError when every worker is busy (never waits for a run); PreviewError when
        the worker refused the config; WorkerDiedError when it died (it is replaced). A
        preview that outlasts `timeout` stops its worker (the next request starts a new one).
        """
        worker = self.pool.acquire_for_preview()
        found: dict[str, Any] = {"worker_pid": worker.pid}
        timer = threading.Timer(timeout, worker.stop)
        timer.start()
        try:
            status = worker.request({"request": "preview", "config": config, "rows": rows, "cores": cores}, lambda event: _fold_preview(found, event))
        except WorkerDiedError:
            self.pool.release(worker, recycle=True)
            raise
        finally:
            timer.cancel()
        # the form validates a config before previewing it: any other answer than 0 (a timeout
        # stopped it, its JVM failed) means the worker is unwell, so it is replaced
        self.pool.release(worker, recycle=status != 0)
        if status != 0 or "tables" not in found:
            raise PreviewError(found.get("error") or f"the worker answered with status {status}")
        return found
