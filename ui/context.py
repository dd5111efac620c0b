"""What every part of the app shares: the state store, the runner, workspace settings, options.

One `AppContext` is built at start-up (`ui.app.make_context`) and handed to the tab
builders; handlers hold no other global state, so tests build a context of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import DEFAULT_FOLDER

from .benchmarks import BenchmarkRun
from .jobs import WorkspaceSettings
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

    @property
    def databricks(self) -> bool:
        return self.settings.configured

    def checkpoint(self, session_id: str, step: int, values: dict[str, Any]) -> None:
        from .state import utc_now

        self.store.save_checkpoint(session_id, {"session_id": session_id, "step": step, "values": values, "saved_at": utc_now()})
