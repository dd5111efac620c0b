"""Jobs runs of the generator: launch, poll, cancel, through `databricks-sdk` only.

A launch uploads the `JobConfig` to `<volume>/launches/<token>/config.json` and starts a
run on it with the same `token` as its `idempotency_token`: a launch retried after a lost
answer gets the same run back, never a second one. The task receives
`--config <path> --run-id {{job.run_id}}`, so the job writes progress and manifest into
`<volume>/runs/<run_id>/`. A poll reads the Jobs 2.2 `status` object (the `state` object is
deprecated) and maps it to a `RunState` the UI shows; every call is retried on transient
errors (`engine.databricks.workspace.retrying`).
"""

from __future__ import annotations

import datetime as _dt
import time
import uuid
from dataclasses import dataclass
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.service import compute, jobs

from engine.config import ConfigError
from engine.events import RunProgress

from . import volume
from .job_config import JobConfig
from .workspace import current_user, retrying

# The wheel's console script that runs `engine.job.main` (python_wheel_task entry point).
WHEEL_PACKAGE = "idgraph"
WHEEL_ENTRY_POINT = "idgraph-job"
TASK_KEY = "generate"
ENVIRONMENT_KEY = "idgraph"
# Serverless environment version of one-time runs: 4 is the current one (Python 3.12,
# Databricks Connect 17); the bundle's job uses the same (databricks.yml).
SERVERLESS_ENVIRONMENT_VERSION = "4"
# The task's parameters: the job's own run id reaches the task as a dynamic value reference.
TASK_PARAMETERS = ["--config", "{{job.parameters.config}}", "--run-id", "{{job.run_id}}"]
# Lines of a failed task's stack trace kept in RunState.error (the UI shows the end).
ERROR_TRACE_LINES = 20
# Termination codes that mean the run was cancelled rather than failed.
_CANCELLED = frozenset({"CANCELED", "USER_CANCELED", "SKIPPED"})


def new_token() -> str:
    """A fresh idempotency token (also the launch's config folder)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Launch:
    """What a launch started: the run, the config it runs on, and its token."""

    run_id: int
    config_path: str
    token: str
    record: volume.RunRecord  # the run record written to the volume (where the run's files go)


def launch_run(
    w: WorkspaceClient,
    config_json: str,
    *,
    volume_path: str,
    job_id: int | None = None,
    wheel_path: str | None = None,
    cluster_id: str | None = None,
    run_name: str | None = None,
    token: str | None = None,
    launched_by: str | None = None,
) -> Launch:
    """Upload the config, start a Jobs run on it (idempotently), write its run record.

    With `job_id` (the bundle's job, `IDGRAPH_JOB_ID`): `run_now` with job parameter
    `config` = the uploaded path. Without: a one-time `runs/submit` of the python-wheel task
    from `wheel_path` on serverless compute or, with `cluster_id`, on that cluster.
    `token`: the idempotency token (a retry of the same launch passes the same one).
    `launched_by`: who asked (the signed-in user); default the caller's identity.
    """
    job = JobConfig.from_json(config_json)
    token = token or new_token()
    config_path = volume.launch_config_path(volume_path, token)
    if job_id is not None:
        if isinstance(job_id, bool) or not isinstance(job_id, int) or job_id < 1:
            raise ConfigError("job_id", job_id, "a positive Databricks job id")
    else:
        spec = submit_spec(config_path, wheel_path, cluster_id)
    volume.upload_text(w, config_path, job.to_json())
    if job_id is not None:
        started = retrying(lambda: w.jobs.run_now(job_id, job_parameters={"config": config_path}, idempotency_token=token))
    else:
        started = retrying(lambda: w.jobs.submit(run_name=run_name or f"idgraph {job.prefix}", idempotency_token=token, **spec))
    run_id = started.run_id
    record = volume.RunRecord(
        run_id=run_id,
        job_id=job_id,
        token=token,
        prefix=job.prefix,
        config_path=config_path,
        progress_path=volume.run_file(volume_path, run_id, volume.PROGRESS_FILE),
        manifest_path=volume.run_file(volume_path, run_id, volume.MANIFEST_FILE),
        launched_at=job.destination.launched_at,
        launched_by=launched_by or current_user(w),
        destination=job.destination.schema_name,
        tables=job.table_names(),
        households=job.graph.households,
        seed=job.graph.seed,
    )
    volume.save_run_record(w, volume_path, record)
    return Launch(run_id, config_path, token, record)


def submit_spec(config_path: str, wheel_path: str | None, cluster_id: str | None) -> dict[str, Any]:
    """The tasks (and serverless environment) of a one-time run of the wheel's job entry point."""
    if not wheel_path or not isinstance(wheel_path, str) or not wheel_path.endswith(".whl"):
        raise ConfigError("wheel_path", wheel_path, "the idgraph wheel's path (e.g. /Volumes/c/s/v/idgraph-0.1.0-py3-none-any.whl) when no job_id is given")
    parameters = [config_path if p == "{{job.parameters.config}}" else p for p in TASK_PARAMETERS]
    task = jobs.SubmitTask(
        task_key=TASK_KEY,
        python_wheel_task=jobs.PythonWheelTask(package_name=WHEEL_PACKAGE, entry_point=WHEEL_ENTRY_POINT, parameters=parameters),
    )
    if cluster_id:
        task.existing_cluster_id = cluster_id
        task.libraries = [compute.Library(whl=wheel_path)]
        return {"tasks": [task]}
    task.environment_key = ENVIRONMENT_KEY
    environment = jobs.JobEnvironment(
        environment_key=ENVIRONMENT_KEY,
        spec=compute.Environment(environment_version=SERVERLESS_ENVIRONMENT_VERSION, dependencies=[wheel_path]),
    )
    return {"tasks": [task], "environments": [environment]}


@dataclass(frozen=True)
class RunState:
    """A Jobs run as the UI shows it, from the Jobs 2.2 `status` object."""

    run_id: int
    life_cycle: str  # QUEUED, BLOCKED, PENDING, RUNNING, TERMINATING, TERMINATED, WAITING
    result_state: str | None  # the termination code once TERMINATED: SUCCESS, CANCELED, RUN_EXECUTION_ERROR, ...
    state_message: str
    task_state: str | None  # the generate task's own state
    start_time: _dt.datetime | None
    elapsed_seconds: float | None
    run_page_url: str | None
    error: str | None  # from the failed task's run output
    # The job's progress.json (tables finished and running, rows so far), once it wrote one.
    progress: RunProgress | None = None
    termination_type: str | None = None  # SUCCESS, CLIENT_ERROR, INTERNAL_ERROR, CLOUD_FAILURE

    @property
    def done(self) -> bool:
        return self.life_cycle == "TERMINATED"

    @property
    def succeeded(self) -> bool:
        return self.result_state == "SUCCESS"

    @property
    def cancelled(self) -> bool:
        return self.result_state in _CANCELLED

    def summary(self) -> str:
        state = self.result_state or self.life_cycle
        elapsed = f" after {self.elapsed_seconds:.0f}s" if self.elapsed_seconds is not None else ""
        return f"run {self.run_id}: {state}{elapsed}" + (f" - {self.state_message}" if self.state_message else "")


def poll_run(w: WorkspaceClient, run_id: int, progress_path: str | None = None) -> RunState:
    """The run's current state; when it failed, the failed task's error from its run output.

    With `progress_path` (the run record's), also the job's per-table progress, once the
    job has written any.
    """
    run = retrying(lambda: w.jobs.get_run(run_id))
    life_cycle, result, termination_type, message = _status(run.status)
    task = next((t for t in run.tasks or [] if t.task_key == TASK_KEY), (run.tasks or [None])[0])
    task_state = _status(task.status)[0] if task is not None and task.status else None
    start = _dt.datetime.fromtimestamp(run.start_time / 1000, _dt.timezone.utc) if run.start_time else None
    end_ms = run.end_time or None
    elapsed = ((end_ms / 1000 if end_ms else time.time()) - run.start_time / 1000) if run.start_time else None
    error = None
    if life_cycle == "TERMINATED" and result not in ("SUCCESS", *_CANCELLED):
        error = _run_error(w, run) or message or result or termination_type
    progress = volume.read_progress(w, progress_path) if progress_path else None
    return RunState(run.run_id or run_id, life_cycle, result, message, task_state, start, elapsed, run.run_page_url, error, progress, termination_type)


def _status(status: jobs.RunStatus | None) -> tuple[str, str | None, str | None, str]:
    """(life cycle, termination code, termination type, message) of a Jobs 2.2 status object."""
    if status is None or status.state is None:
        return "UNKNOWN", None, None, ""
    details = status.termination_details
    code = details.code.value if details and details.code else None
    kind = details.type.value if details and details.type else None
    message = (details.message if details else None) or (status.queue_details.message if status.queue_details else None) or ""
    if status.state.value == "TERMINATED" and code is None:  # a code newer than this SDK knows
        code = "INTERNAL_ERROR" if kind == "INTERNAL_ERROR" else "SUCCESS" if kind == "SUCCESS" else "FAILED"
    return status.state.value, code, kind, message


def _run_error(w: WorkspaceClient, run: jobs.Run) -> str | None:
    # Run output is per task: a job run's own id is refused, so ask each failed task's run.
    for task in run.tasks or []:
        code = _status(task.status)[1] if task.status else None
        if code in (None, "SUCCESS", *_CANCELLED) or task.run_id is None:
            continue
        output = retrying(lambda: w.jobs.get_run_output(task.run_id))
        parts = [p for p in (output.error, _tail(output.error_trace)) if p]
        if parts:
            return f"{task.task_key}: " + "\n".join(parts)
    return None


def _tail(text: str | None) -> str | None:
    return "\n".join(text.rstrip().splitlines()[-ERROR_TRACE_LINES:]) if text else None


def cancel_run(w: WorkspaceClient, run_id: int) -> None:
    """Ask Jobs to cancel the run; it ends asynchronously (poll until done)."""
    retrying(lambda: w.jobs.cancel_run(run_id))
