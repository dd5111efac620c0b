"""Results files: the one place that knows their schema, reads them and finds the latest.

`bench/report.py` (Markdown, README block), `bench/compare.py` and the launch form's
Benchmarks tab all read results through here. Schema version 2 (bench/README.md) adds
paired ratios with intervals, CPU/GC figures, the cold-wall breakdown, the plain-JVM cell,
the replay cross-check and the full environment; every field it added is optional in the
schema, so version-1 files (committed before it) still load and compare.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import InputError

SCHEMA_VERSION = 2
# Where `idgraph bench` writes by default, and where the Benchmarks tab looks: beside this
# package, so the answer does not depend on the folder a command was started from.
DEFAULT_FOLDER = Path(__file__).resolve().parent / "results"


class ResultsSchemaError(InputError):
    """A results file does not follow the schema in bench/README.md."""

    @staticmethod
    def quote(value: Any) -> str:
        return f"got {_short(value)}"


# The schema, as data: path -> expected type(s). "[]" walks every element of a list,
# "{}" every value of a mapping, "name?" is a field older files may lack.
_NUMBER = (int, float)
_OPTIONAL_NUMBER = (int, float, type(None))
_OPTIONAL_LIST = (list, type(None))
_OPTIONAL_DICT = (dict, type(None))
_TIMING = {
    "seconds": list,
    "median_seconds": _NUMBER,
    "min_seconds": _NUMBER,
    "max_seconds": _NUMBER,
    "spread": _NUMBER,
    "rows_per_second": _OPTIONAL_NUMBER,
    "cpu?": _OPTIONAL_DICT,
    "load_max?": _OPTIONAL_NUMBER,
}
_RATIO = {"ratio": _OPTIONAL_NUMBER, "ratio_ci?": _OPTIONAL_LIST, "ratio_passes?": list}
SCHEMA: dict[str, Any] = {
    "schema_version": int,
    "complete": bool,
    "error": _OPTIONAL_DICT,
    "started_at": str,
    "finished_at": (str, type(None)),
    "command": (str, type(None)),
    "settings": {"scales": list, "cores": list, "repeat": int, "format": str, "seed": int, "timeout": _OPTIONAL_NUMBER},
    "environment": {
        "cores": _OPTIONAL_NUMBER, "memory_bytes": _OPTIONAL_NUMBER, "python": str, "java": (str, type(None)),
        "packages": dict, "git": dict, "scales?": dict,
    },
    "cells": {
        "[]": {
            "households": int,
            "cores": int,
            "partitions": int,
            "session_start_seconds": _NUMBER,
            "cold_wall_seconds": _NUMBER,
            "cold_generate_seconds": _NUMBER,
            "limit_cold_wall_seconds?": _OPTIONAL_NUMBER,
            "cold?": {"generator": dict, "limit": _OPTIONAL_DICT, "plain": _OPTIONAL_DICT, "flagged?": _OPTIONAL_DICT},
            "tables": {
                "{}": {
                    "rows": int,
                    "bytes": _OPTIONAL_NUMBER,
                    "files": _OPTIONAL_NUMBER,
                    "generator": _TIMING,
                    "limit": {**_TIMING, "bytes": _OPTIONAL_NUMBER},
                    **_RATIO,
                    "bytes_per_row?": dict,
                    "limit_bytes_difference?": _OPTIONAL_NUMBER,
                    "concurrent?": dict,
                    "replay?": _OPTIONAL_DICT,
                    "plain?": _OPTIONAL_DICT,
                    "flagged?": _OPTIONAL_DICT,
                    "plain_ratio?": _OPTIONAL_NUMBER,
                    "peak_memory": _OPTIONAL_DICT,
                }
            },
            "graph": {
                "rows": int,
                "bytes": _OPTIONAL_NUMBER,
                "generator": _TIMING,
                "limit": {**_TIMING, "bytes": _OPTIONAL_NUMBER},
                **_RATIO,
                "plain?": _OPTIONAL_DICT,
                "flagged?": _OPTIONAL_DICT,
                "plain_ratio?": _OPTIONAL_NUMBER,
                "plain_cpu_ratio?": _OPTIONAL_NUMBER,
                "generated_code?": _OPTIONAL_DICT,
                "peak_memory": {"generator": dict, "limit": dict, "overall": dict},
            },
            "shapes": dict,
            "environment?": dict,
        }
    },
    "scaling": {"linear": list, "cores": list, "fit?": list},
    "files": {"plot": str, "markdown": str},
}


def validate_results(results: Any, schema: Any = SCHEMA, path: str = "results") -> None:
    """Raise ResultsSchemaError naming the first field that does not match the schema."""
    if isinstance(schema, dict):
        if "[]" in schema:
            if not isinstance(results, list):
                raise ResultsSchemaError(path, results, "a list")
            for index, item in enumerate(results):
                validate_results(item, schema["[]"], f"{path}[{index}]")
            return
        if not isinstance(results, dict):
            raise ResultsSchemaError(path, results, "an object")
        if "{}" in schema:
            for key, item in results.items():
                validate_results(item, schema["{}"], f"{path}.{key}")
            return
        for key, expected in schema.items():
            optional, key = key.endswith("?"), key.rstrip("?")
            if key not in results:
                if optional:
                    continue
                raise ResultsSchemaError(f"{path}.{key}", None, "a value (the field is missing)")
            if optional and results[key] is None and isinstance(expected, dict):
                continue
            validate_results(results[key], expected, f"{path}.{key}")
        return
    types = schema if isinstance(schema, tuple) else (schema,)
    if isinstance(results, bool) and bool not in types:
        raise ResultsSchemaError(path, results, _type_names(types))
    if not isinstance(results, types):
        raise ResultsSchemaError(path, results, _type_names(types))


def load_results(path: str | Path) -> dict[str, Any]:
    """One results file, checked against the schema; ResultsSchemaError naming the file otherwise."""
    path = Path(path)
    try:
        results = json.loads(path.read_text())
    except OSError as exc:
        raise ResultsSchemaError(str(path), None, f"a readable results file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ResultsSchemaError(str(path), None, f"JSON ({exc})") from None
    try:
        validate_results(results)
    except ResultsSchemaError as exc:
        raise ResultsSchemaError(f"{path}: {exc.field}", exc.value, exc.expected) from None
    return results


@dataclass(frozen=True)
class ResultsEntry:
    """A results file of a folder: its figures, or why they could not be read."""

    path: Path
    results: dict[str, Any] | None
    error: str | None = None

    @property
    def name(self) -> str:
        incomplete = "" if self.results is None or self.results.get("complete") else " (incomplete)"
        return self.path.stem + incomplete


def list_results(folder: str | Path) -> list[ResultsEntry]:
    """Every results file of `folder`, newest first (names are UTC timestamps); none for an absent folder."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    entries = []
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            entries.append(ResultsEntry(path, load_results(path)))
        except ResultsSchemaError as exc:
            entries.append(ResultsEntry(path, None, str(exc)))
    return entries


def latest_results(folder: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest complete results file in `folder`, or None."""
    for entry in list_results(folder):
        if entry.results is not None and entry.results.get("complete"):
            return entry.path, entry.results
    return None


def largest_cell(results: dict[str, Any]) -> dict[str, Any] | None:
    """The cell with the most households (then cores): what one-line answers speak of."""
    return max(results["cells"], key=lambda c: (c["households"], c["cores"]), default=None)


def pass_ratios(stats: dict[str, Any]) -> list[float]:
    """Per-pass limit/generator ratios of a table or graph (recomputed for version-1 files)."""
    if stats.get("ratio_passes"):
        return list(stats["ratio_passes"])
    return [lim / gen for lim, gen in zip(stats["limit"]["seconds"], stats["generator"]["seconds"]) if lim and gen]


def _type_names(types: tuple[type, ...]) -> str:
    return " or ".join("null" if t is type(None) else t.__name__ for t in types)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
