"""A run's manifest: its name in an output folder, and the one place that reads and writes it.

The manifest records seed, config, config hash, versions and per-table rows, bytes and
seconds (engine.generate builds it); a directory sink writes it into the finished output,
and validate, profile and the integrity audit read it back (damage named as CorruptOutputError).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError, CorruptOutputError, Problem

MANIFEST = "_manifest.json"


def write_manifest(folder: str | Path, manifest: Mapping[str, Any]) -> Path:
    """Write `manifest` as `folder/_manifest.json`; returns its path."""
    path = Path(folder) / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, default=str))
    return path


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The manifest of a run folder; ConfigError if there is none, CorruptOutputError if it is damaged."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise ConfigError("out", str(out), f"a folder written by `idgraph generate` (no {MANIFEST} in it)")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptOutputError(out, [Problem(MANIFEST, f"not valid JSON, truncated or edited ({exc})")]) from None
    missing = [k for k in ("config", "format", "tables") if not isinstance(data, dict) or k not in data]
    if missing:
        raise CorruptOutputError(out, [Problem(MANIFEST, f"lacks {missing}, truncated or edited")])
    return data
