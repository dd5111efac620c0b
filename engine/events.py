"""A run's progress as typed events, and the one fold that turns a stream of them into progress.

`engine.generate` (through `write_tables`) reports each table's start and end, a failure,
and the finished run to its `on_progress` callback as the dataclasses below. A reader
that needs progress folds them (`RunProgress.apply`); a reader in another process gets
them as JSON lines or a JSON file (`event_to_dict` / `event_from_dict`, the wire names
"started", "finished", "failed", "done").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Union


@dataclass(frozen=True)
class TableStarted:
    """A table's write began (`index` of `total` tables in this run)."""

    table: str
    index: int
    total: int
    kind = "started"


@dataclass(frozen=True)
class TableFinished:
    """A table is written: its rows, bytes and files (None for catalog tables), seconds, path."""

    table: str
    index: int
    total: int
    rows: int
    bytes: int | None
    files: int | None
    seconds: float
    path: str
    kind = "finished"


@dataclass(frozen=True)
class TableFailed:
    """The run failed (a table's write, or what came before it); nothing is left half-written."""

    error: str
    kind = "failed"


@dataclass(frozen=True)
class RunDone:
    """Every table is written and the manifest recorded."""

    manifest: Mapping[str, Any]
    kind = "done"


Event = Union[TableStarted, TableFinished, TableFailed, RunDone]
ProgressCallback = Callable[[Event], None]
_BY_KIND: dict[str, type] = {cls.kind: cls for cls in (TableStarted, TableFinished, TableFailed, RunDone)}


def event_to_dict(event: Event) -> dict[str, Any]:
    """The event as a JSON-ready dict: `{"event": kind, **fields}`."""
    return {"event": event.kind, **dataclasses.asdict(event)}


def event_from_dict(data: Mapping[str, Any]) -> Event | None:
    """The event an `event_to_dict` dict holds, or None for a line that is not an engine event."""
    cls = _BY_KIND.get(data.get("event"))  # type: ignore[arg-type]
    if cls is None:
        return None
    return cls(**{f.name: data.get(f.name) for f in dataclasses.fields(cls)})


@dataclass
class RunProgress:
    """Where a run stands: tables finished (in order) and running, rows so far, error, manifest."""

    total: int | None = None
    running: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    rows_written: int = 0
    error: str | None = None
    manifest: Mapping[str, Any] | None = None

    def apply(self, event: Event) -> "RunProgress":
        """Fold one event in (in place); returns self."""
        if isinstance(event, TableStarted):
            self.total = event.total
            if event.table not in self.running:
                self.running.append(event.table)
        elif isinstance(event, TableFinished):
            self.total = event.total
            if event.table in self.running:
                self.running.remove(event.table)
            self.finished.append(event.table)
            self.rows_written += event.rows or 0
        elif isinstance(event, TableFailed):
            self.error = event.error
        elif isinstance(event, RunDone):
            self.manifest = event.manifest
        return self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RunProgress":
        """The progress a `to_dict` dict holds (the job's progress.json); other keys are ignored."""
        return cls(
            total=data.get("tables_total"),
            running=list(data.get("current_tables") or []),
            finished=list(data.get("tables_finished") or []),
            rows_written=data.get("rows_written") or 0,
            error=data.get("error"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The progress as a JSON-ready dict (the Databricks job's progress.json)."""
        return {
            "tables_total": self.total,
            "tables_finished": list(self.finished),
            "current_tables": list(self.running),
            "rows_written": self.rows_written,
            **({"error": self.error} if self.error is not None else {}),
        }


def fold(events: Iterable[Event], progress: RunProgress | None = None) -> RunProgress:
    """`progress` (or a fresh one) with every event applied in order."""
    progress = progress if progress is not None else RunProgress()
    for event in events:
        progress.apply(event)
    return progress
