"""Turn a worker's raw record into the figures of a results file.

A cell's raw record (from `bench.worker`) holds every timed write; this module is the only
place that reduces them:

- **timing**: median, min, max, spread = (max - min) / median, rows/s at the median, the
  medians of CPU (JVM, Python), GC and the other processes' CPU per pass, and the medians of
  Spark's stage metrics (tasks, executor run and CPU time, GC, bytes and records written);
- **ratio** = limit seconds / generator seconds, the geometric mean of the *paired* per-pass
  ratios with a bootstrap interval (`bench.stats`): 1.0, the generator writes as fast as
  Spark writes data of that shape and size; 0.5, it takes twice as long. Per table from the
  single-table passes (one table in flight), for the whole graph from the concurrent ones;
- **plain ratio** = plain-JVM rows/s over the flagged JVM's rows/s (`-XX:-DontCompileHugeMethods`
  only), both from the same procedure in their own processes, ABBA (unpaired); never against
  the engine session, whose JVM options and warm-up differ (issue 11);
- **bytes**: both sides' bytes and bytes per row, and the limit's difference from the generator;
- **cold**: the cold wall split into Python start, session start and first run, beside the
  warm run and the first-run penalty, for the generator, the raw limit, the plain and flagged JVMs;
- **scaling**: rows/s and memory between scales, speed-up between core counts, and a fit of
  seconds = fixed + per-row cost over the ladder, per table, both sides.
"""

from __future__ import annotations

import statistics
from typing import Any, Iterable, Sequence

from .stats import linear_fit, paired_ratio, unpaired_ratio

# Per-pass CPU figures kept (as medians) in a timing.
CPU_KEYS = ("jvm_cpu_seconds", "python_cpu_seconds", "gc_seconds", "gc_count", "other_cpu_seconds")
WHOLE_GRAPH = "whole graph"


def timing(seconds: Sequence[float], rows: int, usage: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """Median, min, max, relative spread and rows/s (at the median) of some passes, with
    the median CPU, GC and contention figures of `usage` (one {"cpu", "load"} per pass)."""
    median = statistics.median(seconds)
    found: dict[str, Any] = {
        "seconds": list(seconds),
        "median_seconds": round(median, 3),
        "min_seconds": round(min(seconds), 3),
        "max_seconds": round(max(seconds), 3),
        "spread": round((max(seconds) - min(seconds)) / median, 3) if median else 0.0,
        "rows_per_second": round(rows / median, 1) if median else None,
    }
    if usage:
        cpu = {}
        for key in CPU_KEYS:
            values = [u["cpu"].get(key) for u in usage if u.get("cpu") and u["cpu"].get(key) is not None]
            cpu[key] = round(statistics.median(values), 3) if values else None
        found["cpu"] = cpu
        loads = [u["load"].get("load_max") for u in usage if u.get("load") and u["load"].get("load_max") is not None]
        found["load_max"] = max(loads) if loads else None
        found["stages"] = stage_medians([u.get("stages") for u in usage])
    return found


def plain_reference(*figures: dict[str, Any]) -> str:
    """What a plain-JVM ratio is over, given the figures that hold it (a graph's or a table's):
    the flagged JVM (the same procedure, only the JIT flag differs) or, in results from before
    the flagged JVM was measured, the engine's own session."""
    return "flagged JVM" if any(f.get("flagged") for f in figures) else "engine session"


def stage_medians(passes: Sequence[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Per Spark stage figure (`bench.stages`), its median over the passes that recorded it;
    None when no pass did (an older results file, a remote session)."""
    known = [p for p in passes if p]
    if not known:
        return None
    return {key: round(statistics.median(p[key] for p in known), 3) for key in known[0] if all(key in p for p in known)}


def summarise_cell(raw: dict[str, Any]) -> dict[str, Any]:
    """The summary of one (households, cores) cell: per table and for the whole graph."""
    concurrent = raw["concurrent"]
    generated = raw["cold"]["tables"]
    single = raw.get("single")
    plain = raw.get("plain")
    flagged = raw.get("flagged")
    jit = bool(plain and flagged)  # both JIT sides measured: the plain-JVM ratio is over the flagged one
    tables = {}
    for table, cold in generated.items():
        rows = cold["rows"]
        together = {kind: [p["tables"][table] for p in concurrent[kind]] for kind in ("generator", "limit")}
        sides = {kind: single[kind][table] if single else together[kind] for kind in ("generator", "limit")}
        gen = timing([p["seconds"] for p in sides["generator"]], rows, sides["generator"] if single else ())
        lim = timing([p["seconds"] for p in sides["limit"]], rows, sides["limit"] if single else ())
        paired = paired_ratio([p["seconds"] for p in sides["limit"]], [p["seconds"] for p in sides["generator"]])
        gen_bytes, lim_bytes = sides["generator"][-1]["bytes"], sides["limit"][-1]["bytes"]
        entry = {
            **_both_sides(rows, gen, lim, paired, gen_bytes, lim_bytes),
            "files": sides["generator"][-1]["files"],
            "concurrent": _concurrent_table(together, rows),
            "peak_memory": raw["memory"]["tables"].get(table),
        }
        if raw.get("replay") and raw["replay"].get(table):
            writes = raw["replay"][table]
            entry["replay"] = {**timing([w["seconds"] for w in writes], rows, writes), "bytes": writes[-1]["bytes"]}
            # the shaped limit against writing the generator's own values: 1.0, it costs the same
            entry["limit_vs_replay"] = _ratio(entry["replay"]["median_seconds"], lim["median_seconds"])
        if jit:
            plain_seconds = [p["tables"][table]["seconds"] for p in plain["passes"]]
            flagged_seconds = [p["tables"][table]["seconds"] for p in flagged["passes"]]
            entry["plain"] = timing(plain_seconds, rows)
            entry["flagged"] = timing(flagged_seconds, rows)
            share = unpaired_ratio(flagged_seconds, plain_seconds)
            entry["plain_ratio"], entry["plain_ratio_ci"] = share["ratio"], share["ci"]
        tables[table] = entry
    rows = sum(t["rows"] for t in tables.values())
    gen = timing([p["wall_seconds"] for p in concurrent["generator"]], rows, concurrent["generator"])
    lim = timing([p["wall_seconds"] for p in concurrent["limit"]], rows, concurrent["limit"])
    paired = paired_ratio([p["wall_seconds"] for p in concurrent["limit"]], [p["wall_seconds"] for p in concurrent["generator"]])
    gen_bytes = sum(concurrent["generator"][-1]["tables"][t]["bytes"] for t in tables)
    lim_bytes = sum(concurrent["limit"][-1]["tables"][t]["bytes"] for t in tables)
    graph = {
        **_both_sides(rows, gen, lim, paired, gen_bytes, lim_bytes),
        "peak_memory": {"generator": raw["memory"]["generator"], "limit": raw["memory"]["limit"], "overall": raw["memory"]["overall"]},
    }
    if jit:
        plain_walls = [p["wall_seconds"] for p in plain["passes"]]
        flagged_walls = [p["wall_seconds"] for p in flagged["passes"]]
        graph["plain"] = timing(plain_walls, rows, plain["passes"])
        graph["flagged"] = timing(flagged_walls, rows, flagged["passes"])
        share = unpaired_ratio(flagged_walls, plain_walls)
        graph["plain_ratio"], graph["plain_ratio_ci"] = share["ratio"], share["ci"]
        # the same on the JVM's CPU seconds: far less sensitive to a busy machine than walls
        cpu = unpaired_ratio([p["cpu"].get("jvm_cpu_seconds") for p in flagged["passes"]], [p["cpu"].get("jvm_cpu_seconds") for p in plain["passes"]])
        graph["plain_cpu_ratio"], graph["plain_cpu_ratio_ci"] = cpu["ratio"], cpu["ci"]
        graph["generated_code"] = {"plain": plain.get("generated_code"), "flagged": flagged.get("generated_code")}
    cold = raw["cold"]
    limit_cold = raw.get("limit_cold") or {}
    return {
        "households": raw["households"],
        "cores": raw["cores"],
        "partitions": raw["partitions"],
        "session_start_seconds": cold["session_start_seconds"],
        "cold_wall_seconds": cold["cold_wall_seconds"],
        "cold_generate_seconds": cold["first_run_seconds"],
        "limit_cold_wall_seconds": limit_cold.get("cold_wall_seconds"),
        "table_figures": "single" if single else "concurrent",
        "cold": {
            "generator": _cold(cold, gen["median_seconds"]),
            "limit": _cold(limit_cold, lim["median_seconds"]) if limit_cold else None,
            "plain": _cold(plain, graph["plain"]["median_seconds"]) if jit else None,
            "flagged": _cold(flagged, graph["flagged"]["median_seconds"]) if jit else None,
        },
        "tables": tables,
        "graph": graph,
        "calibration": raw.get("calibration"),
        "column_bytes": raw.get("column_bytes"),
        "shapes": raw["shapes"],
        "environment": {**raw.get("environment", {}), **({"plain_jvm_options": plain.get("jvm_options")} if plain else {}),
                        **({"flagged_jvm_options": flagged.get("jvm_options"), "jit_processes": {"plain": plain.get("processes", 1), "flagged": flagged.get("processes", 1)}} if jit else {})},
    }


def _both_sides(rows: int, gen: dict[str, Any], lim: dict[str, Any], paired: dict[str, Any], gen_bytes: int, lim_bytes: int) -> dict[str, Any]:
    """The figures a table and the whole graph share: both timings, the paired ratio, the bytes."""
    return {
        "rows": rows,
        "bytes": gen_bytes,
        "generator": gen,
        "limit": {**lim, "bytes": lim_bytes},
        "ratio": paired["ratio"],
        "ratio_ci": paired["ci"],
        "ratio_passes": paired["passes"],
        "bytes_per_row": {"generator": _per_row(gen_bytes, rows), "limit": _per_row(lim_bytes, rows)},
        "limit_bytes_difference": _difference(lim_bytes, gen_bytes),
    }


def _concurrent_table(together: dict[str, list[dict[str, Any]]], rows: int) -> dict[str, Any]:
    """A table's figures from the concurrent passes (another table in flight beside it)."""
    gen = timing([p["seconds"] for p in together["generator"]], rows)
    lim = timing([p["seconds"] for p in together["limit"]], rows)
    paired = paired_ratio(lim["seconds"], gen["seconds"])
    return {"generator": gen, "limit": lim, "ratio": paired["ratio"], "ratio_ci": paired["ci"]}


def _cold(record: dict[str, Any], warm: float | None) -> dict[str, Any]:
    """Python start + session start + first run = cold wall; the first run against a warm one."""
    first = record["first_run_seconds"]
    return {
        "python_start_seconds": record.get("python_start_seconds"),
        "session_start_seconds": record["session_start_seconds"],
        "first_run_seconds": first,
        "cold_wall_seconds": record["cold_wall_seconds"],
        "warm_run_seconds": warm,
        "first_run_penalty_seconds": None if warm is None else round(first - warm, 3),
    }


def scaling(cells: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Linear scaling (rows/s and driver memory between consecutive scales, per core count),
    core scaling (speed-up from the fewest to the most cores, generator and limit, per scale)
    and the fixed + per-row fit over the ladder, per core count and table."""
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
    return {"linear": linear, "cores": cores_scaling, "fit": per_row_fit(cells)}


def per_row_fit(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """seconds = fixed + per-row cost over the scales of each core count, per table and for the
    whole graph, both sides; per_row_ratio = limit per-row cost / generator per-row cost
    (the ratio with the fixed costs taken out)."""
    fits = []
    for cores in sorted({c["cores"] for c in cells}):
        ladder = sorted((c for c in cells if c["cores"] == cores), key=lambda c: c["households"])
        if len({c["households"] for c in ladder}) < 2:
            continue
        for name in [WHOLE_GRAPH, *ladder[0]["tables"]]:
            stats = [c["graph"] if name == WHOLE_GRAPH else c["tables"].get(name) for c in ladder]
            if any(s is None for s in stats):
                continue
            rows = [s["rows"] for s in stats]
            gen = linear_fit(rows, [s["generator"]["median_seconds"] for s in stats])
            lim = linear_fit(rows, [s["limit"]["median_seconds"] for s in stats])
            if gen is None or lim is None:
                continue
            fits.append({
                "cores": cores,
                "table": name,
                "generator": gen,
                "limit": lim,
                "per_row_ratio": _ratio(lim["microseconds_per_row"], gen["microseconds_per_row"]) if gen["microseconds_per_row"] > 0 and lim["microseconds_per_row"] > 0 else None,
            })
    return fits


def _per_row(value: float | None, rows: int) -> float | None:
    return None if value is None or not rows else round(value / rows, 2)


def _difference(value: float | None, reference: float | None) -> float | None:
    """value / reference - 1 (0.02: two percent more)."""
    return None if not value or not reference else round(value / reference - 1, 4)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)
