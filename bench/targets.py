"""The performance targets of the benchmark issue, checked against one results file.

Each target is evaluated only where the results hold the cells it needs (a run without
1M households says nothing about the 45 s target), so a results file states, in its own
Markdown summary, which targets it met and by how much.
"""

from __future__ import annotations

from typing import Any

from engine import JIT_HUGE_METHOD_LIMIT

from .summary import plain_reference

ONE_MILLION = 1_000_000
TEN_MILLION = 10_000_000
HUNDRED_THOUSAND = 100_000

COLD_WALL_SECONDS = 45.0  # `idgraph generate` of 1M households, Spark start-up included
GRAPH_RATIO = 0.8  # whole graph: limit seconds / generator seconds
TABLE_RATIO = 0.6  # every table
LINEAR_RATE = 0.85  # rows/s at 1M at least 85% of rows/s at 100K
MEMORY_GROWTH = 1.2  # driver JVM peak at 10M at most 120% of that at 1M
CORE_SCALING = 0.9  # generator speed-up 1 -> N cores over the limit's own speed-up
PLAIN_SHARE = 0.9  # plain-JVM rows/s over the flagged JVM's (-XX:-DontCompileHugeMethods) rows/s, every table (issue 11)
COLD_LIMIT_RATIO = 1.3  # 10K households: generator cold wall over the raw limit's (issue 11)
BYTES_TOLERANCE = 0.03  # the limit's bytes within 3% of the generator's, every table
TEN_THOUSAND = 10_000


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target the results can speak to: what, the bar, the measured value, met."""
    cells = results["cells"]
    most_cores = max((c["cores"] for c in cells), default=0)
    checks = []

    # one timed pass per side says little on a shared machine: such results are flagged
    indicative = results.get("settings", {}).get("repeat", 2) < 2

    def add(target: str, bar: str, value: float | None, met: bool | None) -> None:
        checks.append({"target": target, "bar": bar, "measured": value, "met": met, "indicative": indicative})

    for cell in cells:
        if cell["households"] == ONE_MILLION and cell["cores"] == most_cores:
            cold = cell["cold_wall_seconds"]
            add(f"1M households, cold wall on {most_cores} core(s)", f"≤ {COLD_WALL_SECONDS:.0f} s", cold, cold <= COLD_WALL_SECONDS)
            # the same bar for Spark alone writing data of the graph's shape, for scale:
            # where the raw limit misses it, no generator on this machine can meet it
            limit_cold = cell.get("limit_cold_wall_seconds")
            if limit_cold is not None:
                add(f"(for scale) raw limit alone, 1M households, cold wall on {most_cores} core(s)", f"≤ {COLD_WALL_SECONDS:.0f} s", limit_cold, limit_cold <= COLD_WALL_SECONDS)
        if cell["households"] == TEN_THOUSAND and cell["cores"] == most_cores and cell.get("limit_cold_wall_seconds"):
            share = round(cell["cold_wall_seconds"] / cell["limit_cold_wall_seconds"], 3)
            add(f"10K households, cold wall over the raw limit's, {most_cores} core(s)", f"≤ {COLD_LIMIT_RATIO}", share, share <= COLD_LIMIT_RATIO)
    largest = max((c for c in cells if c["cores"] == most_cores), key=lambda c: c["households"], default=None)
    if largest is not None:
        where = f"{largest['households']:,} households, {most_cores} core(s)"
        ratio = largest["graph"]["ratio"]
        add(f"whole-graph ratio to the raw limit, {where}", f"≥ {GRAPH_RATIO}", ratio, _at_least(ratio, GRAPH_RATIO))
        measured = [(t, s["ratio"]) for t, s in largest["tables"].items() if s["ratio"] is not None]
        if measured:
            table, lowest = min(measured, key=lambda item: item[1])
            add(f"lowest table ratio ({table}), {where}", f"≥ {TABLE_RATIO}", lowest, _at_least(lowest, TABLE_RATIO))
        plain = [(t, s["plain_ratio"]) for t, s in largest["tables"].items() if s.get("plain_ratio") is not None]
        if plain:
            table, lowest = min(plain, key=lambda item: item[1])
            against = plain_reference(largest["graph"]).replace(" ", "-")
            add(f"lowest plain-JVM / {against} rows/s ({table}), {where}", f"≥ {PLAIN_SHARE}", lowest, _at_least(lowest, PLAIN_SHARE))
        code = [c for c in (largest["graph"].get("generated_code") or {}).values() if c]
        if code:
            biggest = max(c["largest_method"] for c in code)
            add(f"largest method Spark generated (whole-stage or not, plain and flagged JVMs), {where}", f"≤ {JIT_HUGE_METHOD_LIMIT} bytes",
                biggest, biggest <= JIT_HUGE_METHOD_LIMIT)
        differences = [(t, s["limit_bytes_difference"]) for t, s in largest["tables"].items() if s.get("limit_bytes_difference") is not None]
        if differences:
            table, worst = max(differences, key=lambda item: abs(item[1]))
            add(f"limit bytes vs generator bytes, largest difference ({table}), {where}", f"within ±{BYTES_TOLERANCE:.0%}", worst, abs(worst) <= BYTES_TOLERANCE)
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
