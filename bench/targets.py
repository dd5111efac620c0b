"""The performance targets of the benchmark issue, checked against one results file.

Each target is evaluated only where the results hold the cells it needs (a run without
1M households says nothing about the 45 s target), so a results file states, in its own
Markdown summary, which targets it met and by how much.
"""

from __future__ import annotations

from typing import Any

ONE_MILLION = 1_000_000
TEN_MILLION = 10_000_000
HUNDRED_THOUSAND = 100_000

COLD_WALL_SECONDS = 45.0  # `idgraph generate` of 1M households, Spark start-up included
GRAPH_RATIO = 0.8  # whole graph: limit seconds / generator seconds
TABLE_RATIO = 0.6  # every table
LINEAR_RATE = 0.85  # rows/s at 1M at least 85% of rows/s at 100K
MEMORY_GROWTH = 1.2  # driver JVM peak at 10M at most 120% of that at 1M
CORE_SCALING = 0.9  # generator speed-up 1 -> N cores over the limit's own speed-up


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target the results can speak to: what, the bar, the measured value, met."""
    cells = results["cells"]
    most_cores = max((c["cores"] for c in cells), default=0)
    checks = []

    def add(target: str, bar: str, value: float | None, met: bool | None) -> None:
        checks.append({"target": target, "bar": bar, "measured": value, "met": met})

    for cell in cells:
        if cell["households"] == ONE_MILLION and cell["cores"] == most_cores:
            cold = cell["cold_wall_seconds"]
            add(f"1M households, cold wall on {most_cores} core(s)", f"≤ {COLD_WALL_SECONDS:.0f} s", cold, cold <= COLD_WALL_SECONDS)
            # the same bar for Spark alone writing data of the graph's shape, for scale:
            # where the raw limit misses it, no generator on this machine can meet it
            limit_cold = cell.get("limit_cold_wall_seconds")
            if limit_cold is not None:
                add(f"(for scale) raw limit alone, 1M households, cold wall on {most_cores} core(s)", f"≤ {COLD_WALL_SECONDS:.0f} s", limit_cold, limit_cold <= COLD_WALL_SECONDS)
    largest = max((c for c in cells if c["cores"] == most_cores), key=lambda c: c["households"], default=None)
    if largest is not None:
        where = f"{largest['households']:,} households, {most_cores} core(s)"
        ratio = largest["graph"]["ratio"]
        add(f"whole-graph ratio to the raw limit, {where}", f"≥ {GRAPH_RATIO}", ratio, _at_least(ratio, GRAPH_RATIO))
        measured = [(t, s["ratio"]) for t, s in largest["tables"].items() if s["ratio"] is not None]
        if measured:
            table, lowest = min(measured, key=lambda item: item[1])
            add(f"lowest table ratio ({table}), {where}", f"≥ {TABLE_RATIO}", lowest, _at_least(lowest, TABLE_RATIO))
    for row in results["scaling"]["linear"]:
        if (row["from_households"], row["to_households"]) == (HUNDRED_THOUSAND, ONE_MILLION):
            rate = row["rows_per_second_ratio"]
            add(f"rows/s at 1M over 100K, {row['cores']} core(s)", f"≥ {LINEAR_RATE}", rate, _at_least(rate, LINEAR_RATE))
        if (row["from_households"], row["to_households"]) == (ONE_MILLION, TEN_MILLION):
            growth = row["driver_jvm_peak_ratio"]
            add(f"driver JVM peak at 10M over 1M, {row['cores']} core(s)", f"≤ {MEMORY_GROWTH}", growth, None if growth is None else growth <= MEMORY_GROWTH)
    for row in results["scaling"]["cores"]:
        if row["households"] == ONE_MILLION:
            share = row["speedup_vs_limit"]
            add(f"core scaling {row['from_cores']} → {row['to_cores']} at 1M, share of the limit's speed-up", f"≥ {CORE_SCALING}", share, _at_least(share, CORE_SCALING))
    return checks


def _at_least(value: float | None, bar: float) -> bool | None:
    return None if value is None else value >= bar
