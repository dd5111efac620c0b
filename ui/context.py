"""What every part of the app shares: the state store, the runner, workspace settings, options.

One `AppContext` is built at start-up (`ui.app.make_context`) and handed to the tab
builders; handlers hold no other global state, so tests build a context of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.results import DEFAULT_FOLDER

from .benchmarks import BenchmarkRun
from .jobs import UserIdentity, WorkspaceSettings
from .runner import Runner
from .state import Store


@dataclass
class AppContext:
    store: Store
    runner: Runner
    settings: WorkspaceSettings
    bench: BenchmarkRun
    # Parent folder a new session's local runs go to (each run gets its own subfolder).
    out_root: str = "out"
    bench_results: Path = DEFAULT_FOLDER
    # Spark cores of a local worker ("*" = all).
    cores: str = "*"
    # Session id -> the signed-in user who opened it (from the App's forwarded headers; in memory
    # only: a forwarded token is never written to a checkpoint).
    identities: dict[str, UserIdentity] = field(default_factory=dict)

    def identity(self, session_id: str | None) -> UserIdentity | None:
        return self.identities.get(session_id) if session_id else None

    def owner_conflict(self, session_id: str, user: UserIdentity, saved: dict[str, Any]) -> str | None:
        """Why `user` may not open `session_id` (its checkpoint belongs to someone else), else None."""
        owner = saved.get("owner")
        if owner and user.email and owner != user.email:
            return f"403: session `{session_id}` belongs to another user; you cannot see, resume or cancel its runs. A new session was started."
        return None

    @property
    def databricks(self) -> bool:
        return self.settings.configured

    def checkpoint(self, session_id: str, step: int, values: dict[str, Any]) -> None:
        from .state import utc_now

        user = self.identity(session_id)
        owner = user.email if user else None
        self.store.save_checkpoint(session_id, {"session_id": session_id, "owner": owner, "step": step, "values": values, "saved_at": utc_now()})
