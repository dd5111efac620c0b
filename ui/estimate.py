"""How long a run takes and how much disk it needs here, from the committed benchmark results.

`bench/results/*.json` measure, per scale and core count, each table's rows/s and bytes
on disk, the Spark start-up and the cold wall time of the whole run. An estimate takes
the cells measured with this machine's core count, interpolates each table's rows/s and
bytes/row in log(households) (the nearest scale outside the measured range), applies them
to the config's expected rows, and scales the per-table seconds by the measured ratio of
wall time to summed table time (tables overlap). The results are read with a small
function here: the bench package had no results reader when this was written.
"""

from __future__ import annotations

import bisect
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

# Above either, the review step asks the user to confirm before launching.
CONFIRM_SECONDS = 300.0
CONFIRM_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Estimate:
    """Expected wall seconds and bytes on disk of one run, and where the figures come from."""

    seconds: float
    bytes: float
    cores: int
    source: str  # the result files and scales the figures were interpolated from

    @property
    def needs_confirmation(self) -> bool:
        return self.seconds > CONFIRM_SECONDS or self.bytes > CONFIRM_BYTES


def read_cells(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """(file name, cell) of every complete benchmark cell in `folder`'s result files."""
    cells = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for cell in (data.get("cells") if isinstance(data, dict) else None) or []:
            if isinstance(cell, dict) and cell.get("tables") and cell.get("cold_wall_seconds"):
                cells.append((path.name, cell))
    return cells


def _cell_figures(cell: Mapping[str, Any]) -> dict[str, Any]:
    tables = cell["tables"]
    table_seconds = sum(t["rows"] / t["generator"]["rows_per_second"] for t in tables.values())
    return {
        "rate": {name: t["generator"]["rows_per_second"] for name, t in tables.items()},
        "bytes_per_row": {name: t["bytes"] / t["rows"] for name, t in tables.items() if t["rows"]},
        "start": cell.get("session_start_seconds") or 0.0,
        # Measured wall time of the tables over their summed one-by-one time.
        "overlap": max(0.05, (cell["cold_wall_seconds"] - (cell.get("session_start_seconds") or 0.0)) / table_seconds),
    }


def _interpolate(points: list[tuple[float, float]], x: float) -> float:
    """Linear in log(x) between the two nearest measured points; the nearest outside them."""
    xs = [p[0] for p in points]
    i = bisect.bisect_left(xs, x)
    if i == 0:
        return points[0][1]
    if i == len(points):
        return points[-1][1]
    (x0, y0), (x1, y1) = points[i - 1], points[i]
    t = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
    return y0 + t * (y1 - y0)


def machine_cores(cores: str = "*") -> int:
    """The cores a local run uses: --cores, or all of this machine's."""
    return int(cores) if str(cores).isdigit() else os.cpu_count() or 1


def _group_by_scale(cells: list[tuple[str, dict[str, Any]]], cores: int) -> dict[int, list[tuple[str, dict[str, Any]]]]:
    groups: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for name, cell in cells:
        if cell["cores"] == cores:
            groups.setdefault(cell["households"], []).append((name, cell))
    return groups


def _median_cell(measured: list[tuple[str, dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    """Of several runs of one scale, the one with the median cold wall (the lower of the two
    middle ones): a run measured while the machine was busy with other work is an outlier
    that neither the newest-wins rule nor a mean should let drive the estimate."""
    ranked = sorted(measured, key=lambda item: item[1]["cold_wall_seconds"])
    return ranked[(len(ranked) - 1) // 2]


def estimate(households: int, expected: Mapping[str, int], folder: Path, cores: int) -> Estimate | None:
    """The estimate for a run of `households` with `expected` rows per table; None without results."""
    cells = read_cells(folder)
    if not cells:
        return None
    nearest = min({c["cores"] for _, c in cells}, key=lambda n: (abs(n - cores), -n))
    by_scale: dict[int, tuple[str, dict[str, Any]]] = {}
    for scale, measured in _group_by_scale(cells, nearest).items():
        name, cell = _median_cell(measured)
        by_scale[scale] = (name, _cell_figures(cell))
    scales = sorted(by_scale)

    def figure(get: Any) -> float:
        return _interpolate([(h, get(by_scale[h][1])) for h in scales], households)

    seconds = figure(lambda f: f["start"])
    overlap = figure(lambda f: f["overlap"])
    size = 0.0
    for table, rows in expected.items():
        if all(table in by_scale[h][1]["rate"] for h in scales):
            seconds += overlap * rows / figure(lambda f: f["rate"][table])
            size += rows * figure(lambda f: f["bytes_per_row"][table])
    files = sorted({by_scale[h][0] for h in scales})
    source = f"{', '.join(files)} ({nearest} core{'s' if nearest > 1 else ''}; {', '.join(f'{h:,}' for h in scales)} households)"
    return Estimate(seconds, size, nearest, source)


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def human_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"
