"""The Unity Catalog volume the app and the job share: its layout, in this one module.

    <volume>/launches/<token>/config.json   the JobConfig of one launch, keyed by its
                                            idempotency token (known before the run exists)
    <volume>/runs/<run_id>/run.json         the run record the app writes once Jobs gave the id (RunRecord)
    <volume>/runs/<run_id>/progress.json    per-table progress, rewritten by the job as it goes (engine.RunProgress)
    <volume>/runs/<run_id>/manifest.json    the job's manifest with the generator's, written by the job (engine.JobManifest)
    <volume>/sessions/<session_id>.json     the launch form's checkpoints (the UI's; `ui.state`)
    <volume>/ui-runs/<run_id>.json          the app's own run history (the UI's; `ui.state`)

`<volume>` is `/Volumes/<catalog>/<schema>/<volume>[/sub/folders]`. Run folders are keyed by
the Jobs run id, so two launches in the same minute never share one; every transfer goes
through `retrying()`. A run's files are read and written here only, as typed objects.
"""

from __future__ import annotations

import dataclasses
import io
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound

from engine import names
from engine.config import ConfigError
from engine.events import RunProgress
from engine.manifest import JobManifest, _from_dict, _to_dict

from .workspace import retrying

_SUBFOLDER = re.compile(r"[A-Za-z0-9_.-]+")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
CONFIG_FILE, RUN_FILE, PROGRESS_FILE, MANIFEST_FILE = "config.json", "run.json", "progress.json", "manifest.json"


# ---- paths ---------------------------------------------------------------------------------
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


def launch_config_path(volume_path: str, token: str) -> str:
    """Where the config of the launch with idempotency token `token` goes."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ConfigError("idempotency_token", token, "8 to 64 letters, digits, '-' or '_'")
    return f"{volume_root(volume_path)}/launches/{token}/{CONFIG_FILE}"


def volume_of_launch_config(config_path: str) -> str:
    """The volume a launch config lives in (the job finds the run folders from it)."""
    folder = posixpath.dirname(posixpath.dirname(config_path))
    if posixpath.basename(folder) != "launches" or posixpath.basename(config_path) != CONFIG_FILE:
        raise ConfigError("--config", config_path, f"<volume>/launches/<token>/{CONFIG_FILE}")
    return volume_root(posixpath.dirname(folder))


def run_folder(volume_path: str, run_id: int | str) -> str:
    """`<volume>/runs/<run_id>`: everything about one Jobs run."""
    if isinstance(run_id, bool) or not str(run_id).isdigit():
        raise ConfigError("run_id", run_id, "a Jobs run id (digits)")
    return f"{volume_root(volume_path)}/runs/{int(run_id)}"


def run_file(volume_path: str, run_id: int | str, name: str) -> str:
    """A file of a run's folder: RUN_FILE, PROGRESS_FILE or MANIFEST_FILE."""
    if name not in (RUN_FILE, PROGRESS_FILE, MANIFEST_FILE):
        raise ConfigError("name", name, f"one of {[RUN_FILE, PROGRESS_FILE, MANIFEST_FILE]}")
    return f"{run_folder(volume_path, run_id)}/{name}"


def session_path(volume_path: str, session_id: str) -> str:
    """Where the launch form keeps the checkpoint of `session_id`."""
    if not names.is_session_id(session_id):
        raise ConfigError("session_id", session_id, names.SESSION_ID_RULE)
    return f"{volume_root(volume_path)}/sessions/{session_id}.json"


def app_runs_folder(volume_path: str) -> str:
    """Where the app keeps its own run history, one JSON file per run."""
    return f"{volume_root(volume_path)}/ui-runs"


# ---- transfers -----------------------------------------------------------------------------
def upload_text(w: WorkspaceClient, path: str, text: str) -> None:
    """Write UTF-8 text to a volume file, replacing it."""
    data = text.encode("utf-8")
    retrying(lambda: w.files.upload(path, io.BytesIO(data), overwrite=True))


def download_text(w: WorkspaceClient, path: str) -> str | None:
    """A volume file's UTF-8 text, or None if it does not exist."""
    try:
        return retrying(lambda: w.files.download(path).contents.read().decode("utf-8"))
    except NotFound:
        return None


def list_directory(w: WorkspaceClient, path: str) -> list:
    """A folder's entries (empty when the folder does not exist)."""
    try:
        return retrying(lambda: list(w.files.list_directory_contents(path)))
    except NotFound:
        return []


# ---- a run's files -------------------------------------------------------------------------
def write_progress(w: WorkspaceClient, path: str, progress: RunProgress) -> None:
    """Rewrite a run's `progress.json` (the job, as tables start and finish)."""
    upload_text(w, path, json.dumps(progress.to_dict()))


def read_progress(w: WorkspaceClient, path: str) -> RunProgress | None:
    """A run's `progress.json`, or None before the job wrote one."""
    text = download_text(w, path)
    return RunProgress.from_dict(json.loads(text)) if text else None


def write_job_manifest(w: WorkspaceClient, path: str, manifest: JobManifest) -> None:
    """Write the job's `manifest.json` (once every table is written and tagged)."""
    upload_text(w, path, manifest.to_json())


def read_job_manifest(w: WorkspaceClient, path: str) -> JobManifest | None:
    """The job's `manifest.json`, or None before the job wrote one."""
    text = download_text(w, path)
    return JobManifest.from_json(text) if text else None


# ---- run records ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RunRecord:
    """A launch's record, `runs/<run_id>/run.json` (`launch_run` writes it once Jobs gave the id).

    Where the run's files are (config, progress, manifest), who launched it and when, the
    destination schema, its table names, households and seed. `manifest`: the job's
    `manifest.json` once it wrote one (attached by `list_runs`, not part of run.json).
    `extra`: keys this version does not know, kept so a record reads and writes back unchanged.
    """

    run_id: int
    job_id: int | None = None
    token: str | None = None
    prefix: str | None = None
    config_path: str | None = None
    progress_path: str | None = None
    manifest_path: str | None = None
    launched_at: str | None = None
    launched_by: str | None = None
    destination: str | None = None
    tables: Mapping[str, str] | None = None
    households: int | None = None
    seed: int | None = None
    manifest: JobManifest | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RunRecord":
        """The record run.json holds (an older record lacking fields reads with them None)."""
        return _from_dict(cls, data, skip=("manifest",))

    def to_dict(self) -> dict[str, Any]:
        """The JSON dict run.json holds: every field (null when unknown), without `manifest`."""
        return _to_dict(self, keep_none=True, skip=("manifest",))


def save_run_record(w: WorkspaceClient, volume_path: str, record: RunRecord) -> str:
    """Write a run's record as `runs/<run_id>/run.json` (the job adds its files beside it)."""
    path = run_file(volume_path, record.run_id, RUN_FILE)
    upload_text(w, path, json.dumps(record.to_dict(), indent=2, sort_keys=True, default=str))
    return path


def list_runs(w: WorkspaceClient, volume_path: str) -> list[RunRecord]:
    """Past runs' records, newest launch first; each has its `manifest` once the job wrote one."""
    runs = []
    for entry in list_directory(w, f"{volume_root(volume_path)}/runs"):
        if not entry.is_directory or not entry.name.isdigit():
            continue
        text = download_text(w, run_file(volume_path, entry.name, RUN_FILE))
        if text is None:
            continue
        record = RunRecord.from_dict(json.loads(text))
        runs.append(dataclasses.replace(record, manifest=read_job_manifest(w, run_file(volume_path, entry.name, MANIFEST_FILE))))
    runs.sort(key=lambda r: (r.launched_at or "", r.run_id or 0), reverse=True)
    return runs
