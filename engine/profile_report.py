"""Presentation of a profile `Report` (engine.profile, which does not import this module): a terminal table and a self-contained HTML page.

The HTML embeds one PNG per metric (matplotlib, base64) showing the configured and the
actual distribution together: bars for categories and counts, cumulative curves for
ordered values, rank against frequency on log-log axes for content popularity.
"""

from __future__ import annotations

import base64
import html
import io
import math

from .profile import CATEGORY_G_CRITICAL, MetricResult, Report, tolerance_rule

# Categorical metrics with at most this many values are listed value by value.
_MAX_LISTED_VALUES = 10
_CONFIGURED_COLOUR = "#4c72b0"
_ACTUAL_COLOUR = "#dd8452"


def report_text(report: Report) -> str:
    """The profile as a terminal table, then configured vs actual for each small metric."""
    head = f"profile of {report.out or 'unwritten frames'}: {report.households:,} households, seed {report.seed}, config {report.config_hash}"
    lines = [head, tolerance_rule(), ""]
    lines.append(f"{'':4} {'metric':<52} {'n':>12} {'distance':>13} {'tolerance':>9}  configured vs actual")
    for m in report.metrics:
        verdict = {"pass": "PASS", "fail": "FAIL", "empty": "----"}[m.status]
        lines.append(f"{verdict:4} {m.title:<52} {m.n:>12,} {m.distance_name} {_fmt(m.distance):>10} {_fmt(m.tolerance):>9}  {_summary(m)}")
    lines.append("")
    for m in report.metrics:
        if m.kind != "tv" or len(m.configured) > _MAX_LISTED_VALUES:
            continue
        values = list(m.configured) + [k for k in m.actual if k not in m.configured]
        pairs = ", ".join(f"{k} {m.configured.get(k, 0.0):.3f}/{m.actual.get(k, 0.0):.3f}" for k in values)
        lines.append(f"  {m.title}: {pairs}")
    for m in report.metrics:
        if m.worst_g is not None and m.worst_g > CATEGORY_G_CRITICAL:
            lines.append(f"  {m.title}: value {m.worst_value} is {_fmt(m.worst_g)} in G (limit {CATEGORY_G_CRITICAL:g}): its count is not what the config implies")
    failed = [m.name for m in report.metrics if not m.passed]
    lines.append("")
    lines.append(f"{len(failed)} of {len(report.metrics)} metrics out of tolerance: {', '.join(failed)}" if failed else f"all {len(report.metrics)} metrics within tolerance")
    return "\n".join(lines)


def report_html(report: Report) -> str:
    """A self-contained HTML page: summary table, then one section with a plot per metric."""
    esc = html.escape
    rows = "\n".join(
        f"<tr class='{m.status}'><td>{esc(m.status.upper())}</td><td><a href='#{esc(m.name)}'>{esc(m.title)}</a></td>"
        f"<td>{m.n:,}</td><td>{m.distance_name} {_fmt(m.distance)}</td><td>{_fmt(m.tolerance)}</td><td>{esc(_summary(m))}</td></tr>"
        for m in report.metrics
    )
    sections = "\n".join(
        f"<section id='{esc(m.name)}'><h2>{esc(m.title)} <small>({esc(m.status)})</small></h2>"
        f"<p>{m.distance_name} = {_fmt(m.distance)} against tolerance {_fmt(m.tolerance)} over {m.n:,} {esc(m.unit)}."
        + (f" Least likely value: {esc(str(m.worst_value))} (binomial G = {_fmt(m.worst_g)})." if m.worst_g is not None else "")
        + f" {esc(m.note)}</p>"
        f"<img alt='{esc(m.title)}: configured vs actual' src='data:image/png;base64,{base64.b64encode(metric_png(m)).decode()}'>"
        "</section>"
        for m in report.metrics
    )
    verdict = "all metrics within tolerance" if report.passed else "some metrics out of tolerance"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>idgraph profile</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }}
tr.fail td:first-child {{ color: #b00; font-weight: bold; }} tr.pass td:first-child {{ color: #070; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>idgraph profile: configured vs actual</h1>
<p>{esc(report.out or 'unwritten frames')}: {report.households:,} households, seed {report.seed}, config {esc(report.config_hash)}. <b>{verdict}</b>.</p>
<p>{esc(tolerance_rule())}.</p>
<table><tr><th></th><th>metric</th><th>n</th><th>distance</th><th>tolerance</th><th>configured vs actual</th></tr>
{rows}
</table>
{sections}
</body></html>
"""


def metric_png(metric: MetricResult) -> bytes:
    """One metric's plot as PNG bytes (configured and actual together)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=90)
    try:
        if metric.plot == "loglog":
            _plot_loglog(ax, metric)
        elif metric.plot == "cdf":
            _plot_cdf(ax, metric)
        else:
            _plot_bars(ax, metric)
        ax.set_title(f"{metric.title}: {metric.distance_name} {_fmt(metric.distance)} (tolerance {_fmt(metric.tolerance)})", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _plot_bars(ax, metric: MetricResult) -> None:
    keys = list(metric.configured) + [k for k in metric.actual if k not in metric.configured]
    if all(k.lstrip("-").isdigit() for k in keys):
        keys.sort(key=int)
    if len(keys) > 40:  # long count distributions: lines on a log scale show the tail
        xs = [int(k) for k in keys]
        ax.plot(xs, [metric.configured.get(k, 0.0) for k in keys], "-", color=_CONFIGURED_COLOUR, label="configured")
        ax.plot(xs, [metric.actual.get(k, 0.0) for k in keys], ".", color=_ACTUAL_COLOUR, label="actual")
        ax.set_yscale("log")
    else:
        positions = range(len(keys))
        ax.bar([p - 0.2 for p in positions], [metric.configured.get(k, 0.0) for k in keys], 0.4, color=_CONFIGURED_COLOUR, label="configured")
        ax.bar([p + 0.2 for p in positions], [metric.actual.get(k, 0.0) for k in keys], 0.4, color=_ACTUAL_COLOUR, label="actual")
        ax.set_xticks(list(positions))
        ax.set_xticklabels(keys, rotation=30 if max(map(len, keys), default=0) > 6 else 0, fontsize=7, ha="right")
    ax.set_ylabel(f"share of {metric.unit}", fontsize=8)


def _plot_cdf(ax, metric: MetricResult) -> None:
    for pmf, colour, label in ((metric.configured, _CONFIGURED_COLOUR, "configured"), (metric.actual, _ACTUAL_COLOUR, "actual")):
        xs = sorted(int(k) for k in pmf)
        cumulative, ys = 0.0, []
        for x in xs:
            cumulative += pmf[str(x)]
            ys.append(cumulative)
        ax.step(xs, ys, where="post", color=colour, label=label)
    ax.set_ylabel("cumulative share", fontsize=8)


def _plot_loglog(ax, metric: MetricResult) -> None:
    configured = sorted((int(k), p) for k, p in metric.configured.items() if p > 0)
    actual = sorted((int(k), p) for k, p in metric.actual.items() if p > 0)
    ax.loglog([k for k, _ in configured], [p for _, p in configured], "-", color=_CONFIGURED_COLOUR, label="configured")
    ax.loglog([k for k, _ in actual], [p for _, p in actual], ".", color=_ACTUAL_COLOUR, label="actual")
    ax.set_xlabel("popularity rank", fontsize=8)
    ax.set_ylabel("share of events", fontsize=8)


def _summary(metric: MetricResult) -> str:
    """A one-line configured vs actual: the mean for numbers, the top category otherwise."""
    if metric.configured_mean is not None:
        actual = _fmt(metric.actual_mean) if metric.actual_mean is not None else "-"
        return f"mean {_fmt(metric.configured_mean)} vs {actual}"
    if not metric.configured:
        return ""
    top = max(metric.configured, key=metric.configured.get)
    return f"{top}: {metric.configured[top]:.3f} vs {metric.actual.get(top, 0.0):.3f}"


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
