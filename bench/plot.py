"""The one picture of a results file, drawn for the PNG beside it and for the Benchmarks tab.

Top: per table at the largest cell, the ratio to the raw limit (limit seconds / generator
seconds, with its 95% interval) and, where measured, plain-JVM rows/s over the flagged JVM's rows/s;
1.0 is parity. Below: rows/s against households per table and for the whole graph, the
generator solid, the limit dashed, the plain JVM dotted, one colour per core count.
"""

from __future__ import annotations

from typing import Any

from .results import largest_cell
from .summary import plain_reference

WHOLE_GRAPH = "whole graph"


def results_figure(results: dict[str, Any]) -> Any:
    """A matplotlib Figure of one results file (a placeholder text when it has no cells)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = results.get("cells") or []
    if not cells:
        fig, ax = plt.subplots(figsize=(10, 2.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "No benchmark results yet: run `idgraph bench`.", ha="center", va="center", fontsize=12)
        return fig
    panels = [WHOLE_GRAPH, *cells[0]["tables"]]
    columns = 3
    rows = 1 + -(-len(panels) // columns)
    fig = plt.figure(figsize=(4.4 * columns, 3.2 * rows))
    grid = fig.add_gridspec(rows, columns)
    _ratio_panel(fig.add_subplot(grid[0, :]), largest_cell(results), panels)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    first = None
    for index, panel in enumerate(panels):
        ax = fig.add_subplot(grid[1 + index // columns, index % columns])
        first = first or ax
        for number, cores in enumerate(sorted({c["cores"] for c in cells})):
            ladder = sorted((c for c in cells if c["cores"] == cores), key=lambda c: c["households"])
            x = [c["households"] for c in ladder]
            stats = [c["graph"] if panel == WHOLE_GRAPH else c["tables"][panel] for c in ladder]
            colour = colours[number % len(colours)]
            ax.plot(x, [s["generator"]["rows_per_second"] or 0 for s in stats], "o-", color=colour, label=f"generator, {cores} core(s)")
            ax.plot(x, [s["limit"]["rows_per_second"] or 0 for s in stats], "s--", color=colour, alpha=0.6, label=f"raw limit, {cores} core(s)")
            plain = [(c["households"], s["plain"]["rows_per_second"]) for c, s in zip(ladder, stats) if s.get("plain")]
            if plain:
                ax.plot([p[0] for p in plain], [p[1] or 0 for p in plain], "^:", color=colour, alpha=0.8, label=f"generator, plain JVM, {cores} core(s)")
        ax.set_title(panel, fontsize=10)
        ax.set_xscale("log")
        ax.set_xlabel("households", fontsize=8)
        ax.set_ylabel("rows/s", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    handles, labels = first.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=max(1, min(len(labels), 6)), fontsize=8)
    status = "" if results.get("complete") else " (INCOMPLETE)"
    fig.suptitle(f"idgraph bench: the generator against the raw {results['settings']['format']} write limit{status}", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.96))
    return fig


def _ratio_panel(ax: Any, cell: dict[str, Any], panels: list[str]) -> None:
    """Bars per table: ratio to the raw limit (with its interval) and plain-JVM share."""
    names = list(panels)
    stats = [cell["graph"] if name == WHOLE_GRAPH else cell["tables"][name] for name in names]
    positions = list(range(len(names)))
    has_plain = any(s.get("plain_ratio") for s in stats)
    width = 0.38 if has_plain else 0.6
    ratios = [s.get("ratio") or 0 for s in stats]
    errors = [_error(s.get("ratio"), s.get("ratio_ci")) for s in stats]
    ax.bar([p - (width / 2 if has_plain else 0) for p in positions], ratios, width,
           yerr=list(zip(*errors)) if errors else None, capsize=3, label="limit seconds / generator seconds (95% interval)")
    if has_plain:
        plain = [s.get("plain_ratio") or 0 for s in stats]
        plain_errors = [_error(s.get("plain_ratio"), s.get("plain_ratio_ci")) for s in stats]
        ax.bar([p + width / 2 for p in positions], plain, width, yerr=list(zip(*plain_errors)), capsize=3,
               color="tab:orange", label=f"plain JVM rows/s / {plain_reference(*stats)} rows/s")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xticks(positions, names, fontsize=8, rotation=15)
    ax.set_ylabel("ratio (1.0 = parity)", fontsize=8)
    ax.set_title(f"Per table at {cell['households']:,} households, {cell['cores']} core(s)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(True, axis="y", alpha=0.3)


def _error(value: float | None, ci: list[float] | None) -> tuple[float, float]:
    if value is None or not ci:
        return (0.0, 0.0)
    return (max(value - ci[0], 0.0), max(ci[1] - value, 0.0))
