"""What the app remembers across restarts: form checkpoints per session and the run history.

Locally everything is JSON files in a state folder (`./state`, or `IDGRAPH_STATE_DIR`):

    <state>/sessions/<session_id>.json     the form's values and step, saved after each valid step
    <state>/runs/<run_id>/run.json         a run's record: session, spec, status, progress, results
    <state>/runs/<run_id>/spec.json        what the worker was asked to do
    <state>/runs/<run_id>/worker.log       the worker's stderr (Spark's log), for failures

On Databricks (`VolumeStore`) checkpoints and run records go to the Unity Catalog volume
through `engine.databricks`, because an App's local disk does not survive a restart.
Files are replaced atomically, so a crash never leaves half a checkpoint.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import datetime as _dt
from pathlib import Path
from typing import Any, Protocol

from engine import ConfigError
# the session-id rule the volume layout applies too (re-exported for the form)
from engine.names import is_session_id

_RUN_ID = re.compile(r"[a-z0-9-]{1,64}")
DEFAULT_STATE_DIR = "state"


def default_state_dir() -> Path:
    """`IDGRAPH_STATE_DIR`, else ./state."""
    return Path(os.environ.get("IDGRAPH_STATE_DIR") or DEFAULT_STATE_DIR)


def new_session_id() -> str:
    """A fresh, unguessable session id (it is the only key to a session's form and runs)."""
    return secrets.token_urlsafe(12)


def new_run_id(now: _dt.datetime | None = None) -> str:
    """A sortable run id: UTC launch time plus a random suffix, e.g. 20261130t101512-3fa9c1."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return f"{now.strftime('%Y%m%dt%H%M%S')}-{secrets.token_hex(3)}"


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def _read_json(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


class Store(Protocol):
    def save_checkpoint(self, session_id: str, data: dict[str, Any]) -> None: ...
    def load_checkpoint(self, session_id: str) -> dict[str, Any] | None: ...
    def save_run(self, record: dict[str, Any]) -> None: ...
    def load_runs(self) -> list[dict[str, Any]]: ...
    def run_dir(self, run_id: str) -> Path: ...


class LocalStore:
    """Checkpoints and run records as JSON files under one local folder."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root if root is not None else default_state_dir()).absolute()
        (self.root / "sessions").mkdir(parents=True, exist_ok=True)
        (self.root / "runs").mkdir(parents=True, exist_ok=True)

    def _checkpoint_path(self, session_id: str) -> Path:
        if not is_session_id(session_id):
            raise ConfigError("session_id", session_id, "1 to 128 letters, digits, '-' or '_'")
        return self.root / "sessions" / f"{session_id}.json"

    def save_checkpoint(self, session_id: str, data: dict[str, Any]) -> None:
        write_json_atomic(self._checkpoint_path(session_id), data)

    def load_checkpoint(self, session_id: str) -> dict[str, Any] | None:
        return _read_json(self._checkpoint_path(session_id))

    def run_dir(self, run_id: str) -> Path:
        if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
            raise ConfigError("run_id", run_id, "a run id such as 20261130t101512-3fa9c1")
        path = self.root / "runs" / run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def save_run(self, record: dict[str, Any]) -> None:
        write_json_atomic(self.run_dir(record["run_id"]) / "run.json", record)

    def load_runs(self) -> list[dict[str, Any]]:
        """Every run record, newest first."""
        records = [_read_json(p) for p in (self.root / "runs").glob("*/run.json")]
        return sorted((r for r in records if r), key=lambda r: (r.get("submitted") or 0.0, r["run_id"]), reverse=True)


class VolumeStore(LocalStore):
    """Checkpoints and run records in a Unity Catalog volume; worker files stay local.

    The launch form's checkpoints and the app's run history are the UI's own; where they go
    in the volume is `engine.databricks.volume`'s (`session_path`, `app_runs_folder`).
    """

    def __init__(self, workspace: Any, volume_path: str, root: str | os.PathLike | None = None) -> None:
        from engine import databricks

        super().__init__(root)
        self.w = workspace
        self.volume = databricks.volume_root(volume_path)
        self._dbx = databricks

    def save_checkpoint(self, session_id: str, data: dict[str, Any]) -> None:
        self._dbx.upload_text(self.w, self._dbx.session_path(self.volume, session_id), json.dumps(data, default=str))

    def load_checkpoint(self, session_id: str) -> dict[str, Any] | None:
        text = self._dbx.download_text(self.w, self._dbx.session_path(self.volume, session_id))
        return json.loads(text) if text else None

    def save_run(self, record: dict[str, Any]) -> None:
        super().save_run(record)
        self._dbx.upload_text(self.w, f"{self._dbx.app_runs_folder(self.volume)}/{record['run_id']}.json", json.dumps(record, default=str))

    def load_runs(self) -> list[dict[str, Any]]:
        records = []
        for entry in self._dbx.list_directory(self.w, self._dbx.app_runs_folder(self.volume)):
            if entry.is_directory or not entry.name.endswith(".json"):
                continue
            text = self._dbx.download_text(self.w, entry.path)
            if text:
                records.append(json.loads(text))
        return sorted(records, key=lambda r: (r.get("submitted") or 0.0, r["run_id"]), reverse=True)
