"""The Benchmarks tab's data: the latest run by default, a picker, the one-line answer, seconds
and rows/s per table, the ratio chart, and an absolute results folder."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from bench.results import DEFAULT_FOLDER
from ui import benchmarks

COMMITTED = Path(__file__).parent.parent / "bench" / "results"


def _copy_committed(folder: Path) -> list[Path]:
    copies = []
    for path in sorted(COMMITTED.glob("*.json")):
        copies.append(Path(shutil.copy(path, folder / path.name)))
    return copies


def test_no_results_folder_means_an_empty_tab_with_a_placeholder_plot(tmp_path):
    found = benchmarks.entries(tmp_path / "missing")
    assert found == [] and benchmarks.default_choice(found) is None
    assert benchmarks.headline(None).startswith("No benchmark results yet")
    assert benchmarks.summary_rows(None) == [] and benchmarks.environment_rows(None) == []
    figure = benchmarks.figure(None)
    assert "No benchmark results yet" in figure.axes[0].texts[0].get_text()


def test_the_results_folder_is_absolute_and_defaults_beside_the_installed_project(tmp_path, monkeypatch):
    assert benchmarks.results_folder() == DEFAULT_FOLDER and DEFAULT_FOLDER.is_absolute()
    assert DEFAULT_FOLDER == Path(benchmarks.__file__).resolve().parent.parent / "bench" / "results"
    monkeypatch.chdir(tmp_path)
    assert benchmarks.results_folder("bench/results") == tmp_path / "bench" / "results"


def test_the_latest_complete_run_is_shown_first_with_a_one_line_answer(tmp_path):
    copies = _copy_committed(tmp_path)
    newest = copies[-1]
    partial = json.loads(newest.read_text())
    (tmp_path / "20991231T000000Z.json").write_text(json.dumps({**partial, "complete": False}))
    found = benchmarks.entries(tmp_path)
    options = benchmarks.choices(found)
    # newest first, the incomplete one labelled, the latest *complete* one chosen
    assert options[0][0].startswith("20991231T000000Z (incomplete)")
    assert benchmarks.default_choice(found) == str(newest)
    assert [path for _, path in options[1:]] == [str(p) for p in reversed(copies)]
    # the answer line of a run with a 1M cell speaks of 1M households, in seconds and rows/s
    with_million = next(p for p in reversed(copies) if any(c["households"] == 1_000_000 for c in json.loads(p.read_text())["cells"]))
    entry = benchmarks.pick(found, str(with_million))
    line = benchmarks.headline(entry)
    graph = max((c for c in entry.results["cells"] if c["households"] == 1_000_000), key=lambda c: c["cores"])["graph"]
    assert line.startswith("1M households on 2 core(s) here: ")
    assert f"{graph['generator']['median_seconds']:.1f} s generation" in line and "% of Spark's write limit" in line
    assert f"{graph['generator']['rows_per_second']:,.0f} rows/s" in line


def test_a_picked_run_shows_seconds_and_rows_per_second_per_table_and_its_ratio_chart(tmp_path):
    copies = _copy_committed(tmp_path)
    found = benchmarks.entries(tmp_path)
    entry = benchmarks.pick(found, str(copies[0]))
    rows = benchmarks.summary_rows(entry.results)
    cells = entry.results["cells"]
    assert len(rows) == sum(1 + len(c["tables"]) for c in cells)
    first = cells[0]
    assert rows[0][:3] == [f"{first['households']:,}", first["cores"], "whole graph"]
    assert rows[0][4] == f"{first['graph']['generator']['median_seconds']:.2f}"
    figure = benchmarks.figure(entry)
    titles = [ax.get_title() for ax in figure.axes]
    largest = max(cells, key=lambda c: (c["households"], c["cores"]))
    assert titles[0] == f"Per table at {largest['households']:,} households, {largest['cores']} core(s)"
    assert "whole graph" in titles and len(figure.axes[0].patches) == 1 + len(largest["tables"])
    assert ["file", str(copies[0])] in benchmarks.environment_rows(entry)


def test_an_unreadable_file_is_listed_with_the_reason(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"something": "else"}))
    found = benchmarks.entries(tmp_path)
    assert all(e.results is None for e in found)
    assert [label for label, _ in benchmarks.choices(found)] == ["other — unreadable", "broken — unreadable"]
    assert "could not be read" in benchmarks.headline(found[0])
    assert benchmarks.environment_rows(found[1])[0][0] == "error"


def test_a_small_benchmark_run_streams_its_output_and_reports_its_end():
    run = benchmarks.BenchmarkRun(command=[sys.executable, "-c", "import sys; print('scale 1000: 5 rows/s'); print(sys.argv[1:])"])
    assert run.start(["--scales", "1000"])
    run.process.wait(30)
    deadline = time.monotonic() + 10
    while "--scales" not in run.log() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "scale 1000: 5 rows/s" in run.log() and "['--scales', '1000']" in run.log()
    assert run.status().startswith("finished")


def test_the_tab_opens_on_the_latest_run_and_a_pick_shows_another(tmp_path):
    from ui import app, page

    (tmp_path / "results").mkdir()
    copies = _copy_committed(tmp_path / "results")
    ctx = app.make_context(str(tmp_path / "state"), 1, str(tmp_path / "out"), str(tmp_path / "results"), "1")
    tab = page.build_page(ctx).bench
    p = tab.parts
    shown = tab.on_refresh(None)
    assert shown[p["note"]].startswith(f"{len(copies)} result file(s) in `{(tmp_path / 'results').resolve()}`")
    assert shown[p["picker"]].value == str(copies[-1])
    assert shown[p["headline"]] == "**" + benchmarks.headline(benchmarks.pick(benchmarks.entries(tmp_path / "results"), str(copies[-1]))) + "**"
    assert " households" in shown[p["headline"]] and " s with Spark start-up" in shown[p["headline"]]
    older = tab.on_pick(str(copies[0]))
    first = json.loads(copies[0].read_text())["cells"][0]
    assert older[p["summary"]][0][:3] == [f"{first['households']:,}", first["cores"], "whole graph"]
    # a refresh keeps the file the user picked
    assert tab.on_refresh(str(copies[0]))[p["picker"]].value == str(copies[0])
