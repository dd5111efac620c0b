"""`idgraph bench compare A.json B.json`: what changed from run A to run B, with a regression gate.

For every (households, cores) cell both runs hold, per table and for the whole graph:

- **generator seconds B / A** (geometric means of the passes, bootstrap interval resampling
  each run's passes independently): the raw change, machine noise included;
- **cost B / A**, cost = generator seconds / limit seconds of the same pass (the inverse of
  the paired ratio): the change with this machine's own write speed at that moment divided
  out. This is what the gate reads, since runs on a shared machine differ in load.

A cell regresses when its cost grew by more than `--fail-above` (5% by default) *and* the
interval's lower end is above 1 (the growth is not noise); `compare` then exits 1. A run
with one pass per side has no interval: growth above the bar there is reported as
indicative and does not fail the gate.
"""

from __future__ import annotations

from typing import Any

from .results import pass_ratios
from .stats import unpaired_ratio

DEFAULT_FAIL_ABOVE = 0.05
WHOLE_GRAPH = "whole graph"


def compare(a: dict[str, Any], b: dict[str, Any], fail_above: float = DEFAULT_FAIL_ABOVE) -> list[dict[str, Any]]:
    """One row per (households, cores, table) both runs measured, with a `regression` verdict."""
    cells_a = {(c["households"], c["cores"]): c for c in a["cells"]}
    rows = []
    for cell_b in b["cells"]:
        cell_a = cells_a.get((cell_b["households"], cell_b["cores"]))
        if cell_a is None:
            continue
        names = [WHOLE_GRAPH, *[t for t in cell_b["tables"] if t in cell_a["tables"]]]
        for name in names:
            sa = cell_a["graph"] if name == WHOLE_GRAPH else cell_a["tables"][name]
            sb = cell_b["graph"] if name == WHOLE_GRAPH else cell_b["tables"][name]
            seconds = unpaired_ratio(sb["generator"]["seconds"], sa["generator"]["seconds"])
            cost = unpaired_ratio([1 / r for r in pass_ratios(sb)], [1 / r for r in pass_ratios(sa)])
            above = cost["ratio"] is not None and cost["ratio"] > 1 + fail_above
            # with one pass on a side there is no interval: above the bar is only indicative
            regression = above and cost["ci"] is not None and cost["ci"][0] > 1.0
            rows.append({
                "households": cell_b["households"],
                "cores": cell_b["cores"],
                "table": name,
                "a_seconds": sa["generator"]["median_seconds"],
                "b_seconds": sb["generator"]["median_seconds"],
                "seconds_change": seconds["ratio"],
                "seconds_change_ci": seconds["ci"],
                "a_ratio": sa.get("ratio"),
                "b_ratio": sb.get("ratio"),
                "cost_change": cost["ratio"],
                "cost_change_ci": cost["ci"],
                "regression": regression,
                "indicative": above and cost["ci"] is None,
            })
    return rows


def compare_markdown(rows: list[dict[str, Any]], a_name: str, b_name: str, fail_above: float) -> str:
    """The comparison as a Markdown table and a one-line verdict."""
    lines = [
        f"Comparing `{b_name}` (B) against `{a_name}` (A); cost = generator seconds / limit seconds of the same pass; "
        f"a regression is a cost growth above {fail_above:.0%} whose 95% interval lies above 1.",
        "",
        "| households | cores | table | generator A | generator B | seconds B / A [95% CI] | ratio A | ratio B | cost B / A [95% CI] | verdict |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        verdict = _verdict(r, fail_above)
        lines.append(
            f"| {r['households']:,} | {r['cores']} | {r['table']} | {r['a_seconds']:.2f} s | {r['b_seconds']:.2f} s "
            f"| {_change(r['seconds_change'], r['seconds_change_ci'])} | {_num(r['a_ratio'])} | {_num(r['b_ratio'])} "
            f"| {_change(r['cost_change'], r['cost_change_ci'])} | {verdict} |"
        )
    if not rows:
        lines.append("| – | – | no (households, cores) cell in both runs | | | | | | | |")
    regressions = [r for r in rows if r["regression"]]
    lines += ["", f"{len(regressions)} regression(s) above {fail_above:.0%}" + (": " + ", ".join(f"{r['table']} at {r['households']:,}x{r['cores']}" for r in regressions) if regressions else ".")]
    return "\n".join(lines) + "\n"


def _verdict(row: dict[str, Any], fail_above: float) -> str:
    if row["regression"]:
        return "**regression**"
    if row["indicative"]:
        return "slower? (one pass: no interval)"
    ci = row["cost_change_ci"]
    if row["cost_change"] is not None and row["cost_change"] < 1 - fail_above and ci and ci[1] < 1:
        return "faster"
    return "same"


def _change(value: float | None, ci: list[float] | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f} [{ci[0]:.3f}–{ci[1]:.3f}]" if ci else f"{value:.3f}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
