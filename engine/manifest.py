"""A run's manifest: its name in an output folder, its typed form, and the one place that reads and writes it.

The manifest records seed, config, config hash, versions and per-table rows, bytes and
seconds (engine.generate builds it as a `Manifest`); a directory sink writes it into the
finished output, and validate, profile and the integrity audit read it back (damage named
as CorruptOutputError). The Databricks job's `manifest.json` wraps one (`JobManifest`).
`to_dict` gives the JSON written today, key for key, and keys this version does not know
are kept in `extra`, so an older or newer file reads and writes back unchanged.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError, CorruptOutputError, Problem

MANIFEST = "_manifest.json"
# What a manifest cannot do without: read_manifest names a file that lacks one as damaged.
REQUIRED = ("config", "format", "tables")


def _from_dict(cls: type, data: Mapping[str, Any], skip: tuple[str, ...] = (), **converted: Any) -> Any:
    """`cls` from a JSON dict: known keys to fields (absent ones keep their default), the rest to
    `extra`. Fields in `skip` are not read from the file (they are attached by the reader)."""
    names = [f.name for f in dataclasses.fields(cls) if f.name != "extra" and f.name not in skip]
    known = {name: data[name] for name in names if name in data}
    return cls(**{**known, **converted}, extra={k: v for k, v in data.items() if k not in names})


def _to_dict(obj: Any, keep_none: bool = False, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON dict of a record: fields in declaration order (a None left out unless
    `keep_none`), then `extra`; fields in `skip` are not written."""
    data = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name != "extra" and f.name not in skip}
    return {**{k: v for k, v in data.items() if keep_none or v is not None}, **obj.extra}


@dataclass(frozen=True)
class Manifest:
    """One run's manifest, `_manifest.json` (fields in the order the file has them).

    seed, config_hash, config (GraphConfig.to_dict), format, out (where the tables went),
    started_at / finished_at (UTC ISO), versions (package -> version), sql (SHA-256 of the
    rendered SQL: `engine.sql_identity`), tables (table -> rows, bytes, files, seconds, path),
    partitions, wall_seconds and total_rows. `extra`: keys this version does not know.
    """

    config: Mapping[str, Any]
    format: str
    tables: Mapping[str, Mapping[str, Any]]
    seed: int | None = None
    config_hash: str | None = None
    out: str | None = None
    started_at: str | None = None
    versions: Mapping[str, str] | None = None
    sql: Mapping[str, Any] | None = None
    partitions: int | None = None
    finished_at: str | None = None
    wall_seconds: float | None = None
    total_rows: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    # The file's key order (generate has always written them so).
    _ORDER = ("seed", "config_hash", "config", "format", "out", "started_at", "versions", "sql", "tables",
              "partitions", "finished_at", "wall_seconds", "total_rows")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Manifest":
        """The manifest a JSON dict holds; ValueError naming what it lacks (`REQUIRED`)."""
        missing = [k for k in REQUIRED if not isinstance(data, Mapping) or k not in data]
        if missing:
            raise ValueError(f"lacks {missing}")
        return _from_dict(cls, data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON dict `_manifest.json` holds (a field that is None is not written)."""
        data = _to_dict(self)
        return {**{k: data[k] for k in self._ORDER if k in data}, **data}


@dataclass(frozen=True)
class JobManifest:
    """The Databricks job's `manifest.json` (`engine.job` writes it, the app reads the row counts).

    generator_manifest: the run's `Manifest`; tables: table -> catalog.schema.name;
    table_properties, cluster_by and tags as set on the tables ("ok" or why a tag was not
    applied); run_id (the Jobs run), principal (who wrote), finished_at (UTC ISO).
    """

    generator_manifest: Manifest | None = None
    tables: Mapping[str, str] | None = None
    table_properties: Mapping[str, str] | None = None
    cluster_by: Mapping[str, list[str]] | None = None
    tags: Mapping[str, str] | None = None
    run_id: str | None = None
    principal: str | None = None
    finished_at: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "JobManifest":
        generator = data.get("generator_manifest")
        return _from_dict(cls, data, generator_manifest=Manifest.from_dict(generator) if generator else None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON dict `manifest.json` holds (every field, null when unknown, as the job writes it)."""
        data = _to_dict(self, keep_none=True)
        if self.generator_manifest is not None:
            data["generator_manifest"] = self.generator_manifest.to_dict()
        return data

    def to_json(self) -> str:
        """The text of `manifest.json` (sorted keys, as the job has always written it)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> "JobManifest":
        return cls.from_dict(json.loads(text))


def write_manifest(folder: str | Path, manifest: Manifest | Mapping[str, Any]) -> Path:
    """Write `manifest` as `folder/_manifest.json`; returns its path."""
    path = Path(folder) / MANIFEST
    data = manifest.to_dict() if isinstance(manifest, Manifest) else manifest
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def read_manifest(out: str | Path) -> Manifest:
    """The manifest of a run folder; ConfigError if there is none, CorruptOutputError if it is damaged."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise ConfigError("out", str(out), f"a folder written by `idgraph generate` (no {MANIFEST} in it)")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptOutputError(out, [Problem(MANIFEST, f"not valid JSON, truncated or edited ({exc})")]) from None
    try:
        return Manifest.from_dict(data)
    except ValueError as exc:
        raise CorruptOutputError(out, [Problem(MANIFEST, f"{exc}, truncated or edited")]) from None
