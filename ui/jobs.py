"""Unity Catalog launches: the app's workspace settings, the permission check, Jobs runs as executions.

On Databricks the app only orchestrates: a launch uploads the `JobConfig` to the volume and
starts a Jobs run (`engine.databricks.launch_run`), then `JobsExecution` polls it and the
job's `progress.json`, and finally reads the job's `manifest.json` for the row counts. Runs
are launched and polled as the app's service principal (the job runs as it); the review
step's permission check runs with the signed-in user's token when the App has user
authorization (`UserIdentity`, from the forwarded headers), else as the app. A polled run
survives an app restart: its record keeps the Jobs run id and polling resumes. Up to the
job's `max_concurrent_runs` Unity Catalog runs go at once.

Settings (environment): `DATABRICKS_HOST` (+ the SDK's credentials), `IDGRAPH_VOLUME`
(`/Volumes/<catalog>/<schema>/<volume>` for checkpoints, configs and run records), and
either `IDGRAPH_JOB_ID` (an existing job running `idgraph-job`) or `IDGRAPH_WHEEL` (the
idgraph wheel in a volume, for one-time serverless runs; `IDGRAPH_CLUSTER_ID` for a cluster).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable

from engine import TABLES
from engine import ConfigError, RunProgress

# Seconds between polls of a Jobs run (each poll is one or two small REST calls).
POLL_SECONDS = 5.0
# The bundle's job allows this many runs at once (databricks.yml max_concurrent_runs).
DEFAULT_MAX_CONCURRENT_RUNS = 4


@dataclass(frozen=True)
class WorkspaceSettings:
    """Where Unity Catalog runs go; `configured` when a workspace and a volume are set."""

    host: str | None = None
    volume: str | None = None
    job_id: int | None = None
    wheel: str | None = None
    cluster_id: str | None = None
    # The job's max_concurrent_runs (databricks.yml): Unity Catalog runs the app starts at once.
    max_concurrent_runs: int = DEFAULT_MAX_CONCURRENT_RUNS
    # Running inside a Databricks App (the platform sets DATABRICKS_APP_PORT): no local folders.
    in_app: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "WorkspaceSettings":
        env = os.environ if environ is None else environ
        job_id = env.get("IDGRAPH_JOB_ID") or None
        if job_id is not None and not job_id.isdigit():
            raise ConfigError("IDGRAPH_JOB_ID", job_id, "a Databricks job id (digits)")
        limit = env.get("IDGRAPH_JOB_MAX_CONCURRENT_RUNS") or str(DEFAULT_MAX_CONCURRENT_RUNS)
        if not limit.isdigit() or int(limit) < 1:
            raise ConfigError("IDGRAPH_JOB_MAX_CONCURRENT_RUNS", limit, "a whole number of at least 1 (the job's max_concurrent_runs)")
        return cls(
            env.get("DATABRICKS_HOST") or None, env.get("IDGRAPH_VOLUME") or None, int(job_id) if job_id else None,
            env.get("IDGRAPH_WHEEL") or None, env.get("IDGRAPH_CLUSTER_ID") or None, int(limit), bool(env.get("DATABRICKS_APP_PORT")),
        )

    @property
    def configured(self) -> bool:
        return bool(self.host and self.volume)

    def client(self) -> Any:
        """The app's WorkspaceClient (its service principal on Databricks Apps)."""
        from engine import databricks

        return databricks.client(host=self.host)


def permission_text(report: Any, user: "UserIdentity | None" = None) -> str:
    """A PermissionReport as the review step shows it (advisory: only `blocked` stops a launch)."""
    mark = "Missing privileges" if report.blocked else "Allowed" if report.ok else "Some privileges unknown (the job re-checks before writing)"
    whose = "you (your own grants: the App has user authorization)" if user and user.token else "the App's service principal: tables are written with the App's grants"
    return f"**{mark}** (checked for `{report.principal}`, {whose})\n\n```\n{report.message}\n```"


@dataclass(frozen=True)
class UserIdentity:
    """The signed-in user of a Databricks App request (the Apps proxy forwards these headers)."""

    email: str | None = None
    token: str | None = None  # only when the App has user authorization (user_api_scopes)

    @classmethod
    def from_request(cls, request: Any) -> "UserIdentity":
        headers = getattr(request, "headers", None) or {}
        get = headers.get if hasattr(headers, "get") else (lambda k, d=None: d)
        return cls(get("x-forwarded-email") or None, get("x-forwarded-access-token") or None)


def check_destination(settings: WorkspaceSettings, catalog: str, schema: str, overwrite: bool, user: UserIdentity | None = None) -> Any:
    """engine.databricks.check_permissions as the user (with user authorization) or the app."""
    from engine import databricks

    w = databricks.client(host=settings.host, user_token=user.token) if user and user.token else settings.client()
    return databricks.check_permissions(w, catalog, schema, overwrite)


def progress_events(progress: RunProgress | None, now: float) -> list[dict[str, Any]]:
    """The job's progress (`RunState.progress`) as the same started/finished events a local worker sends."""
    if progress is None:
        return []
    # by name: tables finish out of key order
    finished, running = progress.finished, progress.running
    events: list[dict[str, Any]] = [
        {"event": "finished", "table": t, "index": TABLES.index(t), "total": len(TABLES), "time": now} for t in finished if t in TABLES
    ]
    for table in running:
        if table in TABLES and table not in finished:
            events.append({"event": "started", "table": table, "index": TABLES.index(table), "total": len(TABLES), "time": now})
    return events


class JobsExecution:
    """A Unity Catalog run: launched as a Jobs run, polled until it ends.

    The poller never dies silently: every workspace call of a round (the run's status, its
    progress file, the manifest) is retried on transient errors inside `engine.databricks`,
    and whatever still fails is shown on the run ("could not poll ...; retrying") and tried
    again next round. A launch carries an idempotency token saved on the record first, so
    an app that restarts mid-launch asks again with the same token and gets the same run.
    """

    def __init__(self, runner: Any, run_id: str, settings: WorkspaceSettings, client_factory: Callable[[], Any] | None = None, poll_seconds: float = POLL_SECONDS) -> None:
        self.runner, self.run_id, self.settings = runner, run_id, settings
        self.client_factory = client_factory or settings.client
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()

    def start(self) -> None:
        from engine import databricks

        record = self.runner.snapshot(self.run_id)
        w = self.client_factory()
        info = record.get("databricks") or {}
        if not info.get("run_id"):
            token = info.get("token") or databricks.new_token()
            self.runner.patch(self.run_id, databricks={"token": token}, resumable=True, phase="Databricks: launching")
            launch = databricks.launch_run(
                w,
                json.dumps(record["spec"]["job"]),
                volume_path=self.settings.volume,
                job_id=self.settings.job_id,
                wheel_path=self.settings.wheel,
                cluster_id=self.settings.cluster_id,
                token=token,
                launched_by=record.get("launched_by"),
            )
            self.runner.patch(
                self.run_id,
                databricks={
                    "run_id": launch.run_id,
                    "token": token,
                    "progress_path": launch.record.progress_path,
                    "manifest_path": launch.record.manifest_path,
                },
                phase="Databricks run submitted",
            )
        threading.Thread(target=self._poll, args=(w,), name=f"jobs-{self.run_id}", daemon=True).start()

    def _poll(self, w: Any) -> None:
        while not self._stop.is_set():
            try:
                if self.poll_once(w):
                    return
            except Exception as exc:  # anything left after retries: say so, keep watching
                self.runner.patch(self.run_id, phase=f"Databricks: could not poll ({type(exc).__name__}: {exc}); retrying")
            self._stop.wait(self.poll_seconds)

    def poll_once(self, w: Any) -> bool:
        """One round: status and progress onto the record; True once the run has ended."""
        import time

        from engine import databricks

        info = self.runner.snapshot(self.run_id)["databricks"]
        state = databricks.poll_run(w, info["run_id"], info["progress_path"])
        for event in progress_events(state.progress, time.time()):
            if self.runner.snapshot(self.run_id)["tables"].get(event["table"], {}).get("status") != ("done" if event["event"] == "finished" else "running"):
                self.runner.update(self.run_id, event)
        self.runner.patch(self.run_id, phase=f"Databricks: {state.summary()}", run_page_url=state.run_page_url)
        if not state.done:
            return False
        job_manifest = databricks.read_job_manifest(w, info["manifest_path"])
        if job_manifest is not None:
            generator = job_manifest.generator_manifest
            for index, (table, stats) in enumerate((generator.tables if generator else {}).items()):
                self.runner.update(self.run_id, {"event": "finished", "table": table, "index": index, "total": len(TABLES), **stats})
            self.runner.update(self.run_id, {"event": "done", "manifest": generator.to_dict() if generator else {}})
        status = "succeeded" if state.succeeded else "cancelled" if state.cancelled else "failed"
        self.runner.patch(self.run_id, resumable=False)
        self.runner.finish(self.run_id, status, None if state.succeeded else state.error or state.summary())
        return True

    def cancel(self) -> None:
        from engine import databricks

        info = self.runner.snapshot(self.run_id).get("databricks") or {}
        if info.get("run_id"):
            databricks.cancel_run(self.client_factory(), info["run_id"])

    def shutdown(self) -> None:
        """Stop watching; the Jobs run goes on and the next app process resumes polling it."""
        self._stop.set()
        self.runner.detach(self.run_id)
