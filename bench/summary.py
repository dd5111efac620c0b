"""Turn raw per-pass timings into medians, spreads, rows/s, ratios and scaling figures.

A cell's raw record (from `bench.worker`) holds every pass's seconds; this module is
the only place that reduces them. Ratio = limit seconds / generator seconds (1.0: the
generator writes as fast as Spark can write data of that shape; 0.5: it takes twice as
long). Spread = (max - min) / median of the passes.
"""

from __future__ import annotations

import statistics
from typing import Any, Iterable, Sequence


def timing(seconds: Sequence[float], rows: int) -> dict[str, Any]:
    """Median, min, max, relative spread and rows/s (at the median) of some passes."""
    median = statistics.median(seconds)
    return {
        "seconds": list(seconds),
        "median_seconds": round(median, 3),
        "min_seconds": round(min(seconds), 3),
        "max_seconds": round(max(seconds), 3),
        "spread": round((max(seconds) - min(seconds)) / median, 3) if median else 0.0,
        "rows_per_second": round(rows / median, 1) if median else None,
    }


def summarise_cell(raw: dict[str, Any]) -> dict[str, Any]:
    """The summary of one (households, cores) cell: per table and for the whole graph."""
    gen_passes, limit_passes = raw["passes"]["generator"], raw["passes"]["limit"]
    tables = {}
    for table, cold in raw["cold"].items():
        rows = cold["rows"]
        gen = timing([p["tables"][table]["seconds"] for p in gen_passes], rows)
        lim = timing([p["tables"][table]["seconds"] for p in limit_passes], rows)
        tables[table] = {
            "rows": rows,
            "bytes": gen_passes[-1]["tables"][table]["bytes"],
            "files": gen_passes[-1]["tables"][table]["files"],
            "generator": gen,
            "limit": {**lim, "bytes": limit_passes[-1]["tables"][table]["bytes"]},
            "ratio": _ratio(lim["median_seconds"], gen["median_seconds"]),
            "peak_memory": raw["memory"]["tables"].get(table),
        }
    rows = sum(t["rows"] for t in tables.values())
    gen = timing([p["wall_seconds"] for p in gen_passes], rows)
    lim = timing([p["wall_seconds"] for p in limit_passes], rows)
    graph = {
        "rows": rows,
        "bytes": sum(t["bytes"] for t in tables.values()),
        "generator": gen,
        "limit": {**lim, "bytes": sum(t["limit"]["bytes"] for t in tables.values())},
        "ratio": _ratio(lim["median_seconds"], gen["median_seconds"]),
        "peak_memory": {"generator": raw["memory"]["generator"], "limit": raw["memory"]["limit"], "overall": raw["memory"]["overall"]},
    }
    return {
        "households": raw["households"],
        "cores": raw["cores"],
        "partitions": raw["partitions"],
        "session_start_seconds": raw["session_start_seconds"],
        "cold_wall_seconds": raw["cold_wall_seconds"],
        "cold_generate_seconds": raw["cold_generate_seconds"],
        "limit_cold_wall_seconds": (raw.get("limit_cold") or {}).get("cold_wall_seconds"),
        "tables": tables,
        "graph": graph,
        "shapes": raw["shapes"],
    }


def scaling(cells: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Linear scaling (rows/s and driver memory between consecutive scales, per core count)
    and core scaling (speed-up from the fewest to the most cores, generator and limit, per scale)."""
    cells = list(cells)
    linear = []
    for cores in sorted({c["cores"] for c in cells}):
        ladder = sorted((c for c in cells if c["cores"] == cores), key=lambda c: c["households"])
        for small, big in zip(ladder, ladder[1:]):
            small_rate, big_rate = small["graph"]["generator"]["rows_per_second"], big["graph"]["generator"]["rows_per_second"]
            small_mem = small["graph"]["peak_memory"]["generator"].get("driver_jvm_bytes")
            big_mem = big["graph"]["peak_memory"]["generator"].get("driver_jvm_bytes")
            linear.append({
                "cores": cores,
                "from_households": small["households"],
                "to_households": big["households"],
                "rows_per_second_ratio": _ratio(big_rate, small_rate),
                "limit_rows_per_second_ratio": _ratio(big["graph"]["limit"]["rows_per_second"], small["graph"]["limit"]["rows_per_second"]),
                "driver_jvm_peak_ratio": _ratio(big_mem, small_mem),
            })
    cores_scaling = []
    for households in sorted({c["households"] for c in cells}):
        by_cores = sorted((c for c in cells if c["households"] == households), key=lambda c: c["cores"])
        if len(by_cores) < 2:
            continue
        low, high = by_cores[0], by_cores[-1]
        gen = _ratio(low["graph"]["generator"]["median_seconds"], high["graph"]["generator"]["median_seconds"])
        lim = _ratio(low["graph"]["limit"]["median_seconds"], high["graph"]["limit"]["median_seconds"])
        cores_scaling.append({
            "households": households,
            "from_cores": low["cores"],
            "to_cores": high["cores"],
            "generator_speedup": gen,
            "limit_speedup": lim,
            "speedup_vs_limit": _ratio(gen, lim),
        })
    return {"linear": linear, "cores": cores_scaling}


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)
