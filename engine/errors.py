"""idgraph's failures, one class per kind, all under IdgraphError.

An `InputError` is bad input: it names the field, the bad value and what would be valid,
and the command line exits 2 on it. The other kinds are failures of the environment a
run needs (Java, the app's own state). Callers catch the kind they can handle, or
IdgraphError for all of them; `cli.main.EXIT_CODES` maps each kind to an exit status.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class IdgraphError(Exception):
    """Every failure idgraph reports on purpose."""


class InputError(IdgraphError, ValueError):
    """Bad input: names the field, the bad value and what is valid."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}: {self.quote(value)}; expected {expected}")

    @staticmethod
    def quote(value: Any) -> str:
        """How the message shows the bad value (a subclass may shorten it)."""
        return got_text(value)


def got_text(value: Any) -> str:
    """How an error quotes the bad value: "empty" when nothing was given."""
    return "empty" if value is None or (isinstance(value, str) and not value.strip()) else f"got {value!r}"


class ConfigError(InputError):
    """A configuration value (a GraphConfig field, a flag, a destination) is invalid."""


class OutputExistsError(ConfigError):
    """The destination exists and overwrite was not asked for."""


class OutputLockedError(ConfigError):
    """Another live run holds the output's lock: its folder is being written right now."""


class SessionError(InputError):
    """The run has no usable Spark session for what it was asked to do."""


class WorkspaceError(InputError):
    """A Databricks workspace setting (host, volume path, wheel, session id) is unusable."""


class ShuttingDownError(IdgraphError):
    """The app is shutting down and accepts no new run."""


class ReleasePolicyError(IdgraphError, RuntimeError):
    """The golden SQL changed but the package version did not (README's release policy)."""


class JavaMissingError(IdgraphError, RuntimeError):
    """No Java 17+ runtime: Spark cannot start."""


class TableWriteError(IdgraphError, RuntimeError):
    """Writing one table (or the manifest) failed: names the table and the cause in one line."""

    def __init__(self, table: str, cause: str) -> None:
        self.table = table
        self.cause = cause
        super().__init__(f"could not write {table}: {cause}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a run folder: the table (or the manifest) and what."""

    table: str
    message: str

    def __str__(self) -> str:
        return f"{self.table}: {self.message}"


class CorruptOutputError(IdgraphError, RuntimeError):
    """A run folder is damaged; `problems` says where, by table."""

    def __init__(self, out: str | Path, problems: list[Problem]) -> None:
        self.out = str(out)
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{out} is damaged ({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{lines}")
