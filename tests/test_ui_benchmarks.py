"""The benchmarks tab's reading of bench/results: defensive about the layout, fine with none."""

from __future__ import annotations

import json
import sys
import time

from ui import benchmarks


def test_no_results_folder_means_an_empty_tab_with_a_placeholder_plot(tmp_path):
    results = benchmarks.load_results(tmp_path / "missing")
    assert results == []
    assert benchmarks.summary_rows(results) == [] and benchmarks.environment_rows(results) == []
    figure = benchmarks.plot(results)
    assert "No benchmark results yet" in figure.axes[0].texts[0].get_text()


def cell(households, cores, rate, limit):
    timing = lambda value: {"seconds": [1.0], "median_seconds": 1.0, "min_seconds": 1.0, "max_seconds": 1.0, "spread": 0.0, "rows_per_second": value}  # noqa: E731
    table = {"rows": households, "bytes": 10, "files": 1, "generator": timing(rate), "limit": {**timing(limit), "bytes": 10}, "ratio": 0.5, "peak_memory": None}
    return {"households": households, "cores": cores, "partitions": 2, "tables": {"households": table}, "graph": {**table, "generator": timing(2 * rate), "limit": timing(2 * limit)}}


def test_the_harness_cells_schema_is_read_per_table_per_core_count_with_the_whole_graph(tmp_path):
    results = {"schema_version": 1, "complete": False, "started_at": "2026-11-30T10:00:00+00:00", "environment": {"cores": 2, "packages": {"pyspark": "4.3.0"}},
               "cells": [cell(1000, 1, 100.0, 400.0), cell(10000, 1, 900.0, 1800.0), cell(1000, 2, 150.0, 500.0)]}
    (tmp_path / "20261130T100000Z.json").write_text(json.dumps(results))
    (result,) = benchmarks.load_results(tmp_path)
    assert result.label == "20261130T100000Z (incomplete)" and result.when.startswith("2026-11-30")
    found = {(m.table, m.scale, m.cores): (m.rows_per_s, m.limit_rows_per_s) for m in result.measurements}
    assert found[("households", 10000, 1)] == (900.0, 1800.0)
    assert found[("whole graph", 1000, 2)] == (300.0, 1000.0)
    assert len(found) == 6
    assert [result.label, "packages.pyspark", "4.3.0"] in benchmarks.environment_rows([result])
    figure = benchmarks.plot([result])
    assert [ax.get_title() for ax in figure.axes if ax.get_title()] == ["whole graph", "households"]
    one_core = figure.axes[1].lines[0]
    assert list(one_core.get_xdata()) == [1000, 10000] and list(one_core.get_ydata()) == [100.0, 900.0]


def test_results_and_runs_lists_and_nested_tables_are_all_read(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({
        "timestamp": "2026-11-30T10:00:00Z",
        "environment": {"cores": 2, "spark": {"version": "4.3.0"}},
        "results": [
            {"scale": 1000, "table": "households", "rows_per_s": 5000.0, "limit_rows_per_s": 20000.0},
            {"scale": 10000, "table": "households", "rows_per_s": 40000, "limit_rows_per_s": 80000},
        ],
    }))
    (tmp_path / "b.json").write_text(json.dumps({"runs": [{"households": 1000, "tables": {"individuals": {"rows_per_s": 7.0}, "campaigns": {"rows": 5}}}]}))
    a, b = benchmarks.load_results(tmp_path)
    assert [(m.scale, m.table, m.rows_per_s, m.limit_rows_per_s) for m in a.measurements] == [(1000, "households", 5000.0, 20000.0), (10000, "households", 40000.0, 80000.0)]
    assert [(m.scale, m.table, m.rows_per_s, m.limit_rows_per_s) for m in b.measurements] == [(1000, "individuals", 7.0, None)]
    assert benchmarks.summary_rows([a])[0] == [a.label, "1,000", "-", "households", "5,000", "20,000", "25%"]
    assert [a.label, "spark.version", "4.3.0"] in benchmarks.environment_rows([a])
    figure = benchmarks.plot([a, b])
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles == ["households", "individuals"]
    households = figure.axes[0]
    assert [list(line.get_ydata()) for line in households.lines] == [[5000.0, 40000.0], [20000.0, 80000.0]]
    assert households.lines[1].get_linestyle() == "--"


def test_a_file_without_measurements_is_listed_with_the_reason(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"something": "else"}))
    broken, other = benchmarks.load_results(tmp_path)
    assert broken.error.startswith("unreadable") and other.error.startswith("no measurements")
    assert [(row[0], row[2]) for row in benchmarks.environment_rows([broken, other]) if row[1] == "error"] == [(broken.label, broken.error), (other.label, other.error)]


def test_a_small_benchmark_run_streams_its_output_and_reports_its_end():
    run = benchmarks.BenchmarkRun(command=[sys.executable, "-c", "import sys; print('scale 1000: 5 rows/s'); print(sys.argv[1:])"])
    assert run.start(["--scales", "1000"])
    run.process.wait(30)
    deadline = time.monotonic() + 10
    while "--scales" not in run.log() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "scale 1000: 5 rows/s" in run.log() and "['--scales', '1000']" in run.log()
    assert run.status().startswith("finished")
