"""Unity Catalog launches: the app's workspace settings, the permission check, Jobs runs as executions.

On Databricks the app only orchestrates: a launch uploads the `JobConfig` to the volume and
starts a Jobs run (`engine.databricks.launch_run`), then `JobsExecution` polls it and the
job's `progress.json`, and finally reads the job's `manifest.json` for the row counts. Runs
are launched, checked and polled as the app's own identity (its service principal), so
the permission check on the review step checks the identity the job will write as. A
polled run survives an app restart: its record keeps the Jobs run id and polling resumes.

Settings (environment): `DATABRICKS_HOST` (+ the SDK's credentials), `IDGRAPH_VOLUME`
(`/Volumes/<catalog>/<schema>/<volume>` for checkpoints, configs and run records), and
either `IDGRAPH_JOB_ID` (an existing job running `idgraph-job`) or `IDGRAPH_WHEEL` (the
idgraph wheel in a volume, for one-time serverless runs; `IDGRAPH_CLUSTER_ID` for a cluster).
"""

from __future__ import annotations

import os
import threading
import json
from dataclasses import dataclass
from typing import Any, Callable

from engine import TABLES
from engine.config import ConfigError

# Seconds between polls of a Jobs run (each poll is one or two small REST calls).
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class WorkspaceSettings:
    """Where Unity Catalog runs go; `configured` when a workspace and a volume are set."""

    host: str | None = None
    volume: str | None = None
    job_id: int | None = None
    wheel: str | None = None
    cluster_id: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "WorkspaceSettings":
        env = os.environ if environ is None else environ
        job_id = env.get("IDGRAPH_JOB_ID") or None
        if job_id is not None and not job_id.isdigit():
            raise ConfigError("IDGRAPH_JOB_ID", job_id, "a Databricks job id (digits)")
        return cls(env.get("DATABRICKS_HOST") or None, env.get("IDGRAPH_VOLUME") or None, int(job_id) if job_id else None, env.get("IDGRAPH_WHEEL") or None, env.get("IDGRAPH_CLUSTER_ID") or None)

    @property
    def configured(self) -> bool:
        return bool(self.host and self.volume)

    def client(self) -> Any:
        """The app's WorkspaceClient (its service principal on Databricks Apps)."""
        from engine import databricks

        return databricks.client(host=self.host)


def permission_text(report: Any) -> str:
    """A PermissionReport as the review step shows it."""
    mark = "Allowed" if report.ok else "Missing privileges"
    return f"**{mark}** (checked for `{report.principal}`, the identity the job runs as)\n\n```\n{report.message}\n```"


def check_destination(settings: WorkspaceSettings, catalog: str, schema: str, overwrite: bool) -> Any:
    """engine.databricks.check_permissions for the app's identity."""
    from engine import databricks

    return databricks.check_permissions(settings.client(), catalog, schema, overwrite)


def progress_events(progress: dict[str, Any] | None, now: float) -> list[dict[str, Any]]:
    """The job's progress.json as the same started/finished events a local worker sends."""
    if not progress:
        return []
    # by name: tables finish out of key order
    finished = progress.get("tables_finished") or []
    running = progress.get("current_tables") or []
    events: list[dict[str, Any]] = [
        {"event": "finished", "table": t, "index": TABLES.index(t), "total": len(TABLES), "time": now} for t in finished if t in TABLES
    ]
    for table in running:
        if table in TABLES and table not in finished:
            events.append({"event": "started", "table": table, "index": TABLES.index(table), "total": len(TABLES), "time": now})
    return events


class JobsExecution:
    """A Unity Catalog run: launched as a Jobs run, polled until it ends."""

    def __init__(self, runner: Any, run_id: str, settings: WorkspaceSettings, client_factory: Callable[[], Any] | None = None, poll_seconds: float = POLL_SECONDS) -> None:
        self.runner, self.run_id, self.settings = runner, run_id, settings
        self.client_factory = client_factory or settings.client
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._cancel_requested = False

    def start(self) -> None:
        from engine import databricks

        record = self.runner.snapshot(self.run_id)
        w = self.client_factory()
        if not (record.get("databricks") or {}).get("run_id"):
            job_run = databricks.launch_run(
                w, json.dumps(record["spec"]["job"]), volume_path=self.settings.volume, job_id=self.settings.job_id, wheel_path=self.settings.wheel, cluster_id=self.settings.cluster_id
            )
            prefix = record["spec"]["prefix"]
            config_path = f"{databricks.run_folder(self.settings.volume, prefix)}/config.json"
            self.runner.patch(self.run_id, databricks={"run_id": job_run, "config_path": config_path, "progress_path": databricks.progress_path(config_path)}, resumable=True, phase="Databricks run submitted")
        threading.Thread(target=self._poll, args=(w,), name=f"jobs-{self.run_id}", daemon=True).start()

    def _poll(self, w: Any) -> None:
        import posixpath
        import time

        from databricks.sdk.errors import DatabricksError

        from engine import databricks

        info = self.runner.snapshot(self.run_id)["databricks"]
        while not self._stop.is_set():
            try:
                state = databricks.poll_run(w, info["run_id"], info["progress_path"])
            except DatabricksError as exc:  # a network blip must not orphan the run: retry
                self.runner.patch(self.run_id, phase=f"Databricks: could not poll ({exc}); retrying")
                self._stop.wait(self.poll_seconds)
                continue
            for event in progress_events(state.progress, time.time()):
                if self.runner.snapshot(self.run_id)["tables"].get(event["table"], {}).get("status") != ("done" if event["event"] == "finished" else "running"):
                    self.runner.update(self.run_id, event)
            self.runner.patch(self.run_id, phase=f"Databricks: {state.summary()}", run_page_url=state.run_page_url)
            if state.done:
                manifest_text = databricks.download_text(w, posixpath.join(posixpath.dirname(info["config_path"]), "manifest.json"))
                if manifest_text:
                    generator = json.loads(manifest_text).get("generator_manifest") or {}
                    for index, (table, stats) in enumerate((generator.get("tables") or {}).items()):
                        self.runner.update(self.run_id, {"event": "finished", "table": table, "index": index, "total": len(TABLES), **stats})
                    self.runner.update(self.run_id, {"event": "done", "manifest": generator})
                status = "succeeded" if state.succeeded else "cancelled" if state.result_state == "CANCELED" else "failed"
                self.runner.patch(self.run_id, resumable=False)
                self.runner.finish(self.run_id, status, None if state.succeeded else state.error or state.summary())
                return
            self._stop.wait(self.poll_seconds)

    def cancel(self) -> None:
        from engine import databricks

        info = self.runner.snapshot(self.run_id).get("databricks") or {}
        if info.get("run_id"):
            databricks.cancel_run(self.client_factory(), info["run_id"])

    def shutdown(self) -> None:
        """Stop watching; the Jobs run goes on and the next app process resumes polling it."""
        self._stop.set()
        self.runner.detach(self.run_id)
