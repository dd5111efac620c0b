"""Everything the app and the job need from a Databricks workspace, through `databricks-sdk` only.

The app authenticates as its service principal (OAuth M2M from the `DATABRICKS_*` variables
a Databricks App is given) or acts for the signed-in user with the token the Apps proxy
forwards. It checks Unity Catalog privileges before launch, launches the generator as a Jobs
run, polls it, and keeps form checkpoints and run records in a UC volume:

    <volume>/sessions/<session_id>.json    launch-form checkpoints (resume after a restart)
    <volume>/runs/<prefix>/config.json     the JobConfig a run was launched with
    <volume>/runs/<prefix>/run.json        the run record the app writes at launch
    <volume>/runs/<prefix>/progress.json   per-table progress, rewritten by the job as it goes
    <volume>/runs/<prefix>/manifest.json   the generator's manifest, written by the job

`<volume>` is `/Volumes/<catalog>/<schema>/<volume>[/sub/folders]`; `<prefix>` is the run's
`{purpose}_{scale}_{timestamp}` (see `engine.names`).
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import posixpath
import re
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, PermissionDenied
from databricks.sdk.service import compute, jobs

from engine import names
from engine.config import ConfigError
from engine.job_config import JobConfig

# The wheel's console script that runs `engine.job.main` (python_wheel_task entry point).
WHEEL_PACKAGE = "idgraph"
WHEEL_ENTRY_POINT = "idgraph-job"
TASK_KEY = "generate"
# Serverless environment version for one-time runs (Python 3.11, like the app).
SERVERLESS_ENVIRONMENT_VERSION = "2"
# Lines of a failed task's stack trace kept in RunState.error (the UI shows the end).
ERROR_TRACE_LINES = 20

_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_SUBFOLDER = re.compile(r"[A-Za-z0-9_.-]+")


# ---- identity ------------------------------------------------------------------------------
def client(
    host: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    user_token: str | None = None,
    **config: Any,
) -> WorkspaceClient:
    """A WorkspaceClient for the app or the job; the first of these that applies wins.

    1. `user_token` (the `x-forwarded-access-token` header of a Databricks App request):
       act on behalf of that user, as a bearer token (`auth_type="pat"`). Build one client
       per request; the forwarded token is short-lived.
    2. `token`, else `DATABRICKS_TOKEN`: a personal access token.
    3. `client_id`/`client_secret`, else `DATABRICKS_CLIENT_ID`/`DATABRICKS_CLIENT_SECRET`:
       the service principal, OAuth M2M (`auth_type="oauth-m2m"`), as a Databricks App runs.
    4. Otherwise the SDK's default chain (inside a Databricks job: the runtime's own auth).

    `host` defaults to `DATABRICKS_HOST`. Pinning `auth_type` matters in an App, where the
    service principal's variables are always set: without it the SDK refuses a config that
    has both a token and client credentials. Extra keyword arguments go to the SDK's Config
    (e.g. `retry_timeout_seconds`).
    """
    host = host or os.environ.get("DATABRICKS_HOST") or None
    token = token or os.environ.get("DATABRICKS_TOKEN") or None
    client_id = client_id or os.environ.get("DATABRICKS_CLIENT_ID") or None
    client_secret = client_secret or os.environ.get("DATABRICKS_CLIENT_SECRET") or None
    if user_token or token or (client_id and client_secret):
        if not host:
            raise ConfigError("host", host, "the workspace URL, as host= or DATABRICKS_HOST")
    if user_token:
        return WorkspaceClient(host=host, token=user_token, auth_type="pat", **config)
    if token:
        return WorkspaceClient(host=host, token=token, auth_type="pat", **config)
    if client_id and client_secret:
        return WorkspaceClient(host=host, client_id=client_id, client_secret=client_secret, auth_type="oauth-m2m", **config)
    return WorkspaceClient(host=host, **config)


def current_user(w: WorkspaceClient) -> str:
    """The caller's user name (a service principal's is its application id)."""
    return w.current_user.me().user_name


# ---- permissions ---------------------------------------------------------------------------
class Requirement(NamedTuple):
    """One privilege a run needs: (privilege, securable_type, full_name)."""

    privilege: str
    securable_type: str
    full_name: str


# What writing generated tables needs, as data: (privilege, securable, only when overwriting).
_REQUIREMENTS = (
    ("USE_CATALOG", "CATALOG", False),
    ("USE_SCHEMA", "SCHEMA", False),
    ("CREATE_TABLE", "SCHEMA", False),
    ("MODIFY", "SCHEMA", True),
)
# Privileges that satisfy any other on the same securable (or, inherited, on its children).
_SUPERSEDING = frozenset({"ALL_PRIVILEGES"})
# Every account user is in this group; grants to it count for everyone.
ALL_USERS_GROUP = "account users"


@dataclass(frozen=True)
class PermissionReport:
    """Whether a principal may write a run's tables, and what to do if not."""

    ok: bool
    principal: str
    missing: list[Requirement] = field(default_factory=list)
    message: str = ""


def required_privileges(catalog: str, schema: str, overwrite: bool) -> list[Requirement]:
    """The privileges writing into `catalog.schema` needs (MODIFY only when overwriting)."""
    names.validate_identifier("catalog", catalog)
    names.validate_identifier("schema", schema)
    full = {"CATALOG": catalog, "SCHEMA": f"{catalog}.{schema}"}
    return [Requirement(p, kind, full[kind]) for p, kind, only_overwrite in _REQUIREMENTS if overwrite or not only_overwrite]


def check_permissions(w: WorkspaceClient, catalog: str, schema: str, overwrite: bool, principal: str | None = None) -> PermissionReport:
    """Check effective Unity Catalog privileges for writing generated tables into `catalog.schema`.

    Needs USE_CATALOG on the catalog, USE_SCHEMA and CREATE_TABLE on the schema, and MODIFY
    on the schema when overwriting. Effective privileges include those inherited from the
    catalog; ALL_PRIVILEGES satisfies any of them, and so does owning the securable itself.
    Without `principal`, the caller is checked (grants to the caller, to the groups SCIM
    lists for it, and to `account users`); with one, grants to exactly that principal.
    A catalog or schema that does not exist, or whose permissions cannot be read, counts
    as missing, with the server's reason in the message.
    """
    needed = required_privileges(catalog, schema, overwrite)
    if principal is None:
        me = w.current_user.me()
        principal = me.user_name
        identities = {principal, ALL_USERS_GROUP, *(g.display for g in me.groups or [] if g.display)}
        query_principal = None
    else:
        identities, query_principal = {principal}, principal
    held: dict[tuple[str, str], set[str]] = {}
    problems: dict[tuple[str, str], str] = {}
    for securable in dict.fromkeys((r.securable_type, r.full_name) for r in needed):
        try:
            held[securable] = _effective_privileges(w, *securable, identities, query_principal)
        except NotFound as exc:
            held[securable], problems[securable] = set(), f"does not exist ({exc}); pick an existing one or ask an admin to create it"
        except PermissionDenied as exc:
            held[securable], problems[securable] = set(), f"could not be checked ({exc})"
    missing = [r for r in needed if not held[(r.securable_type, r.full_name)] & ({r.privilege} | _SUPERSEDING)]
    if missing:
        owned = {s for s in {(r.securable_type, r.full_name) for r in missing} if s not in problems and _owner(w, *s) in identities}
        missing = [r for r in missing if (r.securable_type, r.full_name) not in owned]
    return PermissionReport(not missing, principal, missing, _permission_message(principal, catalog, schema, needed, missing, problems))


def _effective_privileges(w: WorkspaceClient, securable_type: str, full_name: str, identities: set[str], principal: str | None) -> set[str]:
    privileges: set[str] = set()
    page_token = None
    while True:
        # max_results=0 asks for the paginated form, which the API docs recommend. The path
        # takes the securable type in lower case, as the REST reference writes it.
        page = w.grants.get_effective(securable_type.lower(), full_name, max_results=0, page_token=page_token, principal=principal)
        for assignment in page.privilege_assignments or []:
            if assignment.principal in identities:
                privileges.update(p.privilege.value for p in assignment.privileges or [] if p.privilege)
        page_token = page.next_page_token
        if not page_token:
            return privileges


def _owner(w: WorkspaceClient, securable_type: str, full_name: str) -> str | None:
    try:
        info = w.catalogs.get(full_name) if securable_type == "CATALOG" else w.schemas.get(full_name)
    except (NotFound, PermissionDenied):
        return None
    return info.owner


def _permission_message(principal: str, catalog: str, schema: str, needed: list[Requirement], missing: list[Requirement], problems: dict) -> str:
    target = f"{names.quote_identifier(catalog, 'catalog')}.{names.quote_identifier(schema, 'schema')}"
    if not missing:
        return f"{principal} can write tables into {target} ({', '.join(r.privilege for r in needed)})."
    lines = [f"{principal} cannot write tables into {target}; missing:"]
    for r in missing:
        lines.append(f"  - {r.privilege} on {r.securable_type.lower()} {r.full_name}")
    for (kind, full_name), reason in problems.items():
        lines.append(f"The {kind.lower()} {full_name} {reason}.")
    by_securable: dict[tuple[str, str], list[str]] = {}
    for r in missing:
        if not problems.get((r.securable_type, r.full_name), "").startswith("does not exist"):
            by_securable.setdefault((r.securable_type, r.full_name), []).append(r.privilege.replace("_", " "))
    if by_securable:
        lines.append("Ask an owner of these objects (or a metastore admin) to run, then check again:")
    quoted = {"CATALOG": names.quote_identifier(catalog, "catalog"), "SCHEMA": target}
    for (kind, _), privileges in by_securable.items():
        lines.append(f"  GRANT {', '.join(privileges)} ON {kind} {quoted[kind]} TO {_quote_principal(principal)};")
    return "\n".join(lines)


def _quote_principal(principal: str) -> str:
    # Principals come from the workspace, not the form; still escape as Databricks SQL does.
    return "`" + principal.replace("`", "``") + "`"


# ---- volume paths --------------------------------------------------------------------------
def volume_root(volume_path: str) -> str:
    """Validate `/Volumes/<catalog>/<schema>/<volume>[/sub/folders]`; return it without a trailing slash."""
    expected = "/Volumes/<catalog>/<schema>/<volume>[/folder...] with identifier names and plain folder names"
    if not isinstance(volume_path, str) or not volume_path.startswith("/Volumes/"):
        raise ConfigError("volume_path", volume_path, expected)
    parts = volume_path.rstrip("/").split("/")[2:]
    if len(parts) < 3:
        raise ConfigError("volume_path", volume_path, expected)
    try:
        names.validate_identifier("catalog", parts[0])
        names.validate_identifier("schema", parts[1])
        names.validate_identifier("table", parts[2])
    except ConfigError:
        raise ConfigError("volume_path", volume_path, expected) from None
    if any(p in (".", "..") or not _SUBFOLDER.fullmatch(p) for p in parts[3:]):
        raise ConfigError("volume_path", volume_path, expected)
    return "/Volumes/" + "/".join(parts)


def upload_text(w: WorkspaceClient, path: str, text: str) -> None:
    """Write UTF-8 text to a volume file, replacing it."""
    w.files.upload(path, io.BytesIO(text.encode("utf-8")), overwrite=True)


def download_text(w: WorkspaceClient, path: str) -> str | None:
    """A volume file's UTF-8 text, or None if it does not exist."""
    try:
        return w.files.download(path).contents.read().decode("utf-8")
    except NotFound:
        return None


def _list_directory(w: WorkspaceClient, path: str) -> list:
    try:
        return list(w.files.list_directory_contents(path))
    except NotFound:
        return []


# ---- checkpoints ---------------------------------------------------------------------------
def checkpoint_path(volume_path: str, session_id: str) -> str:
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        raise ConfigError("session_id", session_id, "1 to 128 letters, digits, '-' or '_'")
    return f"{volume_root(volume_path)}/sessions/{session_id}.json"


def upload_checkpoint(w: WorkspaceClient, volume_path: str, session_id: str, config_json: str) -> str:
    """Save a launch-form checkpoint (any JSON text) for `session_id`; return its path."""
    json.loads(config_json)  # refuse to persist what could not be resumed
    path = checkpoint_path(volume_path, session_id)
    upload_text(w, path, config_json)
    return path


def load_checkpoint(w: WorkspaceClient, volume_path: str, session_id: str) -> str | None:
    """The checkpoint saved for `session_id`, or None if there is none."""
    return download_text(w, checkpoint_path(volume_path, session_id))


def list_checkpoints(w: WorkspaceClient, volume_path: str) -> list[str]:
    """Session ids with a checkpoint, most recently saved first."""
    entries = [e for e in _list_directory(w, f"{volume_root(volume_path)}/sessions") if not e.is_directory and e.name.endswith(".json")]
    entries.sort(key=lambda e: e.last_modified or 0, reverse=True)
    return [e.name[: -len(".json")] for e in entries]


# ---- run records ---------------------------------------------------------------------------
def run_folder(volume_path: str, prefix: str) -> str:
    names.validate_purpose(prefix)  # a run prefix is an identifier too
    return f"{volume_root(volume_path)}/runs/{prefix}"


def progress_path(config_path: str) -> str:
    """Where the job reports progress for the run launched on `config_path`: beside it."""
    return posixpath.join(posixpath.dirname(config_path), "progress.json")


def save_run_record(w: WorkspaceClient, volume_path: str, prefix: str, record: dict[str, Any]) -> str:
    """Write a run's record as `runs/<prefix>/run.json` (the job adds `manifest.json` beside it)."""
    path = f"{run_folder(volume_path, prefix)}/run.json"
    upload_text(w, path, json.dumps(record, indent=2, sort_keys=True, default=str))
    return path


def list_runs(w: WorkspaceClient, volume_path: str) -> list[dict[str, Any]]:
    """Past runs' records, newest launch first; each has "manifest" once the job wrote one."""
    runs = []
    for entry in _list_directory(w, f"{volume_root(volume_path)}/runs"):
        if not entry.is_directory:
            continue
        text = download_text(w, f"{entry.path.rstrip('/')}/run.json")
        if text is None:
            continue
        record = json.loads(text)
        manifest = download_text(w, f"{entry.path.rstrip('/')}/manifest.json")
        record["manifest"] = json.loads(manifest) if manifest else None
        runs.append(record)
    runs.sort(key=lambda r: r.get("launched_at", ""), reverse=True)
    return runs


# ---- jobs ----------------------------------------------------------------------------------
def launch_run(
    w: WorkspaceClient,
    config_json: str,
    *,
    volume_path: str,
    job_id: int | None = None,
    wheel_path: str | None = None,
    cluster_id: str | None = None,
    run_name: str | None = None,
) -> int:
    """Upload the job config to the volume, start a Jobs run on it, record it; return the run id.

    With `job_id` (the app reads it from `IDGRAPH_JOB_ID`): `run_now` with job parameter
    `config` = the uploaded path; the job's task must pass `--config {{job.parameters.config}}`
    to the `idgraph-job` entry point (or `python -m engine.job`).

    Without: a one-time `runs/submit` of a python-wheel task, `idgraph-job --config <path>`,
    from `wheel_path` (the idgraph wheel in a volume), on serverless compute or, with
    `cluster_id`, on that cluster. A wheel task rather than a Python-file task because the
    wheel carries the engine together with its `sql/` files at the app's exact version, so the
    cluster renders the same SQL the app showed on the review step; a file task would still
    need the wheel installed and a second upload of the script.
    """
    job = JobConfig.from_json(config_json)
    config_path = f"{run_folder(volume_path, job.prefix)}/config.json"
    # Check every argument before anything is uploaded or launched.
    if job_id is not None:
        if isinstance(job_id, bool) or not isinstance(job_id, int) or job_id < 1:
            raise ConfigError("job_id", job_id, "a positive Databricks job id")
    else:
        spec = _submit_spec(config_path, wheel_path, cluster_id)
    upload_text(w, config_path, job.to_json())
    if job_id is not None:
        run_id = w.jobs.run_now(job_id, job_parameters={"config": config_path}).run_id
    else:
        run_id = w.jobs.submit(run_name=run_name or f"idgraph {job.prefix}", **spec).run_id
    record = {
        "run_id": run_id,
        "job_id": job_id,
        "prefix": job.prefix,
        "config_path": config_path,
        "progress_path": progress_path(config_path),
        "launched_at": job.destination.launched_at,
        "launched_by": current_user(w),
        "destination": job.destination.schema_name,
        "tables": job.table_names(),
        "households": job.graph.households,
        "seed": job.graph.seed,
    }
    save_run_record(w, volume_path, job.prefix, record)
    return run_id


def _submit_spec(config_path: str, wheel_path: str | None, cluster_id: str | None) -> dict[str, Any]:
    if not wheel_path or not isinstance(wheel_path, str) or not wheel_path.endswith(".whl"):
        raise ConfigError("wheel_path", wheel_path, "the idgraph wheel's path (e.g. /Volumes/c/s/v/idgraph-0.1.0-py3-none-any.whl) when no job_id is given")
    task = jobs.SubmitTask(
        task_key=TASK_KEY,
        python_wheel_task=jobs.PythonWheelTask(package_name=WHEEL_PACKAGE, entry_point=WHEEL_ENTRY_POINT, parameters=["--config", config_path]),
    )
    if cluster_id:
        task.existing_cluster_id = cluster_id
        task.libraries = [compute.Library(whl=wheel_path)]
        return {"tasks": [task]}
    task.environment_key = "idgraph"
    environment = jobs.JobEnvironment(
        environment_key="idgraph",
        spec=compute.Environment(environment_version=SERVERLESS_ENVIRONMENT_VERSION, dependencies=[wheel_path]),
    )
    return {"tasks": [task], "environments": [environment]}


@dataclass(frozen=True)
class RunState:
    """A Jobs run as the UI shows it."""

    run_id: int
    life_cycle: str  # QUEUED, PENDING, RUNNING, TERMINATING, TERMINATED, SKIPPED, INTERNAL_ERROR
    result_state: str | None  # SUCCESS, FAILED, TIMEDOUT, CANCELED, ... once terminal
    state_message: str
    task_state: str | None  # the generate task's own life cycle
    start_time: _dt.datetime | None
    elapsed_seconds: float | None
    run_page_url: str | None
    error: str | None  # from the failed task's run output
    # The job's progress.json: tables_finished, current_tables, tables_total, rows_written, ...
    progress: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.life_cycle in ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")

    @property
    def succeeded(self) -> bool:
        return self.result_state == "SUCCESS"

    def summary(self) -> str:
        state = self.result_state or self.life_cycle
        elapsed = f" after {self.elapsed_seconds:.0f}s" if self.elapsed_seconds is not None else ""
        return f"run {self.run_id}: {state}{elapsed}" + (f" - {self.state_message}" if self.state_message else "")


def poll_run(w: WorkspaceClient, run_id: int, progress_path: str | None = None) -> RunState:
    """The run's current state; when it failed, the failed task's error from its run output.

    With `progress_path` (the run record's), also the job's per-table progress, once the
    job has written any.
    """
    run = w.jobs.get_run(run_id)
    state = run.state or jobs.RunState()
    life_cycle = state.life_cycle_state.value if state.life_cycle_state else "UNKNOWN"
    result = state.result_state.value if state.result_state else None
    task = next((t for t in run.tasks or [] if t.task_key == TASK_KEY), (run.tasks or [None])[0])
    task_state = task.state.life_cycle_state.value if task and task.state and task.state.life_cycle_state else None
    start = _dt.datetime.fromtimestamp(run.start_time / 1000, _dt.timezone.utc) if run.start_time else None
    end_ms = run.end_time or None
    elapsed = ((end_ms / 1000 if end_ms else time.time()) - run.start_time / 1000) if run.start_time else None
    error = None
    if result not in (None, "SUCCESS") or life_cycle == "INTERNAL_ERROR":
        error = _run_error(w, run) or state.state_message or result
    progress_text = download_text(w, progress_path) if progress_path else None
    progress = json.loads(progress_text) if progress_text else None
    return RunState(run.run_id or run_id, life_cycle, result, state.state_message or "", task_state, start, elapsed, run.run_page_url, error, progress)


def _run_error(w: WorkspaceClient, run: jobs.Run) -> str | None:
    # Run output is per task: a job run's own id is refused, so ask each failed task's run.
    for task in run.tasks or []:
        task_result = task.state.result_state.value if task.state and task.state.result_state else None
        if task_result in (None, "SUCCESS") or task.run_id is None:
            continue
        output = w.jobs.get_run_output(task.run_id)
        parts = [p for p in (output.error, _tail(output.error_trace)) if p]
        if parts:
            return f"{task.task_key}: " + "\n".join(parts)
    return None


def _tail(text: str | None) -> str | None:
    return "\n".join(text.rstrip().splitlines()[-ERROR_TRACE_LINES:]) if text else None


def cancel_run(w: WorkspaceClient, run_id: int) -> None:
    """Ask Jobs to cancel the run; it ends asynchronously (poll until done)."""
    w.jobs.cancel_run(run_id)
