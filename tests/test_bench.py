"""The benchmark harness: results schema, ratios, plot and summary; partial results on failure; README block."""

from __future__ import annotations

import argparse
import json
import sys

import pytest

from bench import harness
from bench.report import README_END, README_START, update_readme_block, validate_results
from engine import TABLES

# The smallest graph in which every table has rows: a real cell in well under a minute.
_TINY = 100


def _args(out, scales: str, **overrides) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    harness.add_arguments(parser)
    args = parser.parse_args(["--scales", scales, "--cores", "1", "--repeat", "1", "--out", str(out)])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One real cell (100 households, local[1], one pass each): (exit status, results folder)."""
    out = tmp_path_factory.mktemp("bench")
    status = harness.run(_args(out, str(_TINY), work_dir=str(out)))
    return status, out


def _only_results(out):
    files = sorted(out.glob("*.json"))
    assert len(files) == 1, files
    return files[0], json.loads(files[0].read_text())


def test_tiny_run_writes_schema_valid_results_with_ratios_plot_and_markdown(tiny_run):
    status, out = tiny_run
    assert status == 0
    path, results = _only_results(out)
    validate_results(results)
    assert results["complete"] is True and results["error"] is None
    (cell,) = results["cells"]
    assert (cell["households"], cell["cores"]) == (_TINY, 1)
    assert set(cell["tables"]) == set(TABLES)
    for table, stats in cell["tables"].items():
        assert stats["rows"] > 0, table
        assert stats["ratio"] > 0, table
        # the limit has exactly the generator's columns
        assert len(cell["shapes"][table]) > 1
    assert cell["graph"]["ratio"] > 0
    assert cell["graph"]["rows"] == sum(t["rows"] for t in cell["tables"].values())
    assert path.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = path.with_suffix(".md").read_text()
    assert "| households | cores |" in markdown and f"| {_TINY:,} | 1 |" in markdown
    # the raw limit, cold in its own fresh process: Spark start-up and a first write at least
    assert cell["session_start_seconds"] < cell["limit_cold_wall_seconds"]
    assert f"| {cell['limit_cold_wall_seconds']:.1f} s |" in markdown


def test_a_failing_cold_limit_run_fails_its_cell_by_name(tmp_path, tiny_run, monkeypatch):
    _, results = _only_results(tiny_run[1])
    raw = _raw_record_from(results["cells"][0])

    def command(households, cores, settings, work_dir, result, limit_cold=None):
        if limit_cold:
            return _fake_worker("import sys; sys.exit(3)")
        return _fake_worker(f"import pathlib; pathlib.Path({str(result)!r}).write_text({json.dumps(raw)!r})")

    monkeypatch.setattr(harness, "worker_command", command)
    assert harness.run(_args(tmp_path, str(_TINY))) == 1
    _, partial = _only_results(tmp_path)
    validate_results(partial)
    assert partial["complete"] is False and partial["cells"] == []
    assert partial["error"]["message"] == "raw limit cold run: worker exited with status 3"


def test_results_files_from_before_the_cold_limit_still_validate():
    from pathlib import Path

    committed = sorted((Path(__file__).parent.parent / "bench" / "results").glob("*.json"))
    assert committed
    for path in committed:
        results = json.loads(path.read_text())
        validate_results(results)
    older = json.loads(committed[0].read_text())
    older["cells"][0].pop("limit_cold_wall_seconds", None)
    validate_results(older)


def _fake_worker(script: str) -> list[str]:
    return [sys.executable, "-c", script]


def test_failing_cell_leaves_partial_results_marked_incomplete_and_exits_nonzero(tmp_path, tiny_run, monkeypatch, capsys):
    # The first cell replays the tiny run's measured record; the second cell's worker dies.
    _, results = _only_results(tiny_run[1])
    raw = _raw_record_from(results["cells"][0])

    def command(households, cores, settings, work_dir, result, limit_cold=None):
        record = {"session_start_seconds": 1.0, "cold_wall_seconds": 9.5, "write_seconds": 2.0} if limit_cold else raw
        if households == _TINY:
            return _fake_worker(f"import pathlib; pathlib.Path({str(result)!r}).write_text({json.dumps(record)!r})")
        return _fake_worker('import sys; print(\'{"event": "error", "error": "OutOfMemoryError: Java heap space"}\'); sys.exit(1)')

    monkeypatch.setattr(harness, "worker_command", command)
    status = harness.run(_args(tmp_path, f"{_TINY},200"))
    assert status == 1
    _, partial = _only_results(tmp_path)
    validate_results(partial)
    assert partial["complete"] is False
    assert partial["error"]["households"] == 200 and "OutOfMemoryError" in partial["error"]["message"]
    assert [c["households"] for c in partial["cells"]] == [_TINY]
    assert "200 households on 1 core(s): OutOfMemoryError" in capsys.readouterr().err


def test_bad_scales_are_refused_before_any_run(tmp_path):
    from engine import ConfigError

    with pytest.raises(ConfigError, match="--scales"):
        harness.run(_args(tmp_path, "1000,abc"))
    assert not list(tmp_path.glob("*.json"))


def test_readme_block_regeneration_is_idempotent_and_keeps_the_rest(tmp_path, tiny_run):
    _, results = _only_results(tiny_run[1])
    readme = tmp_path / "README.md"
    readme.write_text(f"# idgraph\n\n## Performance\n\n{README_START}\nstale figures\n{README_END}\n\n## After\n")
    assert update_readme_block(readme, results, "results/x.json") is True
    once = readme.read_text()
    assert update_readme_block(readme, results, "results/x.json") is False
    assert readme.read_text() == once
    assert "stale figures" not in once
    assert once.startswith("# idgraph\n\n## Performance\n\n" + README_START) and once.endswith(README_END + "\n\n## After\n")
    assert f"| {_TINY:,} | 1 |" in once


def _raw_record_from(cell: dict) -> dict:
    """A worker's raw record that summarises back to `cell` (one pass per side)."""
    tables = cell["tables"]

    def side(kind: str) -> dict:
        return {
            "wall_seconds": cell["graph"][kind]["seconds"][0],
            "tables": {t: {"rows": s["rows"], "bytes": s[kind].get("bytes", s["bytes"]), "files": s["files"], "seconds": s[kind]["seconds"][0]} for t, s in tables.items()},
        }

    memory = cell["graph"]["peak_memory"]
    return {
        "households": cell["households"],
        "cores": cell["cores"],
        "partitions": cell["partitions"],
        "session_start_seconds": cell["session_start_seconds"],
        "cold_wall_seconds": cell["cold_wall_seconds"],
        "cold_generate_seconds": cell["cold_generate_seconds"],
        "cold": {t: {"rows": s["rows"], "bytes": s["bytes"], "files": s["files"], "seconds": 0.0} for t, s in tables.items()},
        "passes": {"generator": [side("generator")], "limit": [side("limit")]},
        "shapes": cell["shapes"],
        "memory": {**memory, "tables": {t: s["peak_memory"] for t, s in tables.items()}},
    }


def test_readme_block_shows_named_results_files_in_order(tmp_path, tiny_run):
    path, results = _only_results(tiny_run[1])
    bigger = json.loads(json.dumps(results))
    bigger["cells"][0]["households"] = 10 * _TINY
    (tmp_path / "big.json").write_text(json.dumps(bigger))
    (tmp_path / "small.json").write_text(json.dumps(results))
    readme = tmp_path / "README.md"
    readme.write_text(f"{README_START}\n{README_END}\n")
    args = _args(tmp_path, str(_TINY), readme=True, readme_path=str(readme), readme_results="small.json,big.json")
    assert harness.run(args) == 0
    text = readme.read_text()
    assert text.index("small.json") < text.index("big.json")
    assert f"| {_TINY:,} | 1 |" in text and f"| {10 * _TINY:,} | 1 |" in text


def test_readme_refuses_an_incomplete_named_results_file(tmp_path, tiny_run):
    from engine import ConfigError

    _, results = _only_results(tiny_run[1])
    (tmp_path / "partial.json").write_text(json.dumps({**results, "complete": False}))
    readme = tmp_path / "README.md"
    readme.write_text(f"{README_START}\n{README_END}\n")
    with pytest.raises(ConfigError, match="--readme-results"):
        harness.run(_args(tmp_path, str(_TINY), readme=True, readme_path=str(readme), readme_results="partial.json"))
    assert readme.read_text() == f"{README_START}\n{README_END}\n"


def _cell(households: int, cores: int, cold: float, graph_ratio: float, table_ratios: dict[str, float], limit_cold: float | None = None) -> dict:
    return {
        "households": households,
        "cores": cores,
        "cold_wall_seconds": cold,
        "limit_cold_wall_seconds": limit_cold,
        "graph": {"ratio": graph_ratio},
        "tables": {t: {"ratio": r} for t, r in table_ratios.items()},
    }


def test_targets_are_checked_only_where_the_results_hold_their_cells():
    from bench.targets import check_targets

    results = {
        "cells": [
            _cell(100_000, 2, 20.0, 0.9, {"households": 0.9}),
            _cell(1_000_000, 1, 90.0, 0.7, {"households": 0.8}),
            _cell(1_000_000, 2, 44.0, 0.85, {"households": 0.9, "identity_mappings": 0.55}, limit_cold=46.0),
        ],
        "scaling": {
            "linear": [{"cores": 2, "from_households": 100_000, "to_households": 1_000_000, "rows_per_second_ratio": 0.8, "driver_jvm_peak_ratio": 1.1}],
            "cores": [{"households": 1_000_000, "from_cores": 1, "to_cores": 2, "speedup_vs_limit": 0.95}],
        },
    }
    checks = {c["target"].split(",")[0]: c for c in check_targets(results)}
    assert checks["1M households"]["met"] is True and checks["1M households"]["measured"] == 44.0
    assert checks["(for scale) raw limit alone"]["measured"] == 46.0 and checks["(for scale) raw limit alone"]["met"] is False
    assert checks["whole-graph ratio to the raw limit"]["met"] is True
    assert checks["lowest table ratio (identity_mappings)"]["met"] is False
    assert checks["rows/s at 1M over 100K"]["met"] is False
    assert checks["core scaling 1 → 2 at 1M"]["met"] is True
    assert not any("10M" in target for target in checks)


def test_targets_without_a_million_households_skip_the_cold_wall_bar():
    from bench.targets import check_targets

    results = {"cells": [_cell(10_000, 1, 12.0, 0.5, {"campaigns": 0.2})], "scaling": {"linear": [], "cores": []}}
    targets = [c["target"] for c in check_targets(results)]
    assert not any(t.startswith("1M households") for t in targets)
    assert any(t.startswith("lowest table ratio (campaigns)") for t in targets)
