"""Damaged outputs: `idgraph validate` and `idgraph profile` say what is wrong, by table, exit 1.

Each case copies a good run folder and damages it one way: a truncated manifest, a
missing table folder, a table from a run with another seed, a Parquet file with flipped
bytes. The first three are found from the manifest, logs and footers before Spark reads
anything (so they are checked through the real CLI); flipped bytes only show when the
data is read, through the test's Spark session.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine import generate
from engine.integrity import CorruptOutputError, table_files
from engine.profile import profile
from engine.validate import validate
from reliability import record, run_idgraph


@pytest.fixture(scope="module")
def other_seed_graph(spark, small_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("other") / "out"
    generate(small_config.replace(seed=small_config.seed + 1), out=str(out), format="delta", spark=spark)
    return out


def truncate_manifest(out: Path, other: Path) -> str:
    text = (out / "_manifest.json").read_text()
    (out / "_manifest.json").write_text(text[: len(text) // 2])
    return "_manifest.json: not valid JSON"


def remove_table(out: Path, other: Path) -> str:
    shutil.rmtree(out / "campaign_exposures")
    return "campaign_exposures: folder"


def table_from_another_seed(out: Path, other: Path) -> str:
    shutil.rmtree(out / "individuals")
    shutil.copytree(other / "individuals", out / "individuals")
    return "individuals: holds"


def flip_bytes(out: Path, other: Path) -> str:
    path = max(table_files(out / "identity_mappings", "delta"), key=lambda p: p.stat().st_size)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))
    return "identity_mappings: data unreadable"


@pytest.fixture
def damaged(written_graph, other_seed_graph, tmp_path):
    """A copy of the shared good graph, and a function damaging it that returns the expected line."""
    out = tmp_path / "graph"
    shutil.copytree(written_graph[0], out)
    return out, lambda damage: damage(out, other_seed_graph)


FOUND_BEFORE_SPARK = [truncate_manifest, remove_table, table_from_another_seed]


@pytest.mark.parametrize("command", ["validate", "profile"])
@pytest.mark.parametrize("damage", FOUND_BEFORE_SPARK, ids=lambda f: f.__name__)
def test_the_cli_names_the_damaged_table_and_exits_1(damaged, damage, command):
    out, apply = damaged
    expected = apply(damage)
    result = run_idgraph(command, str(out), timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "Using Spark" not in result.stderr  # found from files alone
    record(f"corrupt:{damage.__name__}:{command}", "exit 1, named")


@pytest.mark.parametrize("check", [validate, profile], ids=["validate", "profile"])
def test_flipped_bytes_in_a_parquet_page_are_named_by_table(spark, damaged, check):
    out, apply = damaged
    expected = apply(flip_bytes)
    with pytest.raises(CorruptOutputError) as caught:
        check(out, spark=spark)
    assert [str(p) for p in caught.value.problems if str(p).startswith(expected)], caught.value.problems
    assert {p.table for p in caught.value.problems} == {"identity_mappings"}
    record(f"corrupt:flip_bytes:{check.__name__}", "exit 1, named")


def test_a_good_folder_passes_the_audit(spark, written_graph):
    results = validate(written_graph[0], spark=spark)
    assert results and all(r.passed for r in results)
    assert json.loads((written_graph[0] / "_manifest.json").read_text())["tables"]
