"""Faults during a run: the disk fills up, the process is killed at random moments.

Both run the real `idgraph generate` as a process over a folder that already holds a
complete earlier graph, and check that the earlier graph is untouched byte for byte,
that nothing is left half-written, and that the next run cleans up and succeeds.
"""

from __future__ import annotations

import json
import os
import random
import resource
import time

import pytest

from engine import GraphConfig, generate
from engine.contenthash import content_hashes
from engine.validate import load_tables, validate
from reliability import folder_digest, kill_group, manifest, record, run_idgraph, siblings, start_idgraph

# A file-size limit the JVM's own native libraries fit under (libzstd-jni is ~1.0 MB) but
# the campaigns table's files do not: the write fails part way through a table.
FILE_SIZE_LIMIT = 1_100_000
# Kills, and the seed that picks their moments: a failure reproduces with the same seed.
KILLS = int(os.environ.get("IDGRAPH_RELIABILITY_KILLS", "20"))
KILL_SEED = int(os.environ.get("IDGRAPH_RELIABILITY_KILL_SEED", "15"))


@pytest.fixture
def earlier_graph(spark, tmp_path):
    """A complete earlier graph in tmp/G (parquet), and its byte digest."""
    out = tmp_path / "G"
    generate(GraphConfig(households=60, seed=5, content_items=100, campaigns=10), out=str(out), format="parquet", spark=spark)
    return out, folder_digest(out)


def limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


@pytest.mark.slow
def test_a_write_failing_part_way_is_one_line_exit_1_and_the_earlier_output_is_intact(earlier_graph, tmp_path):
    out, digest = earlier_graph
    config = tmp_path / "configs" / "big_campaigns.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"households": 50, "content_items": 100, "campaigns": 400_000, "partitions": 1}))
    result = run_idgraph("generate", "--config", str(config), "--format", "parquet", "--out", str(out), "--overwrite", preexec_fn=limit_file_size)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 1, result.stderr[-3000:]
    assert last.startswith("idgraph generate: could not write campaigns: File too large"), last
    assert folder_digest(out) == digest  # the earlier graph, untouched
    assert siblings(out) == ["configs"], "no staging folder, no lock file left"
    record("disk_full", {"limit_bytes": FILE_SIZE_LIMIT, "message": last, "exit": result.returncode})


@pytest.mark.slow
def test_killed_at_random_moments_the_earlier_graph_survives_and_the_next_run_cleans_up(spark, earlier_graph):
    out, digest = earlier_graph
    earlier = content_hashes(load_tables(spark, out))
    base = ["generate", "--households", "60", "--seed", "6"]
    args = [*base, "--out", str(out), "--overwrite"]
    # How long a whole run takes here: the kills are spread over that span.
    t0 = time.monotonic()
    probe = start_idgraph(*base, "--out", str(out.parent / "probe"), "--format", "parquet")
    assert probe.wait(timeout=1800) == 0, probe.stderr.read()[-3000:]
    span = time.monotonic() - t0
    rng = random.Random(KILL_SEED)
    moments = sorted(round(rng.uniform(0.5, span), 2) for _ in range(KILLS))
    killed = finished = leftovers_seen = 0
    for i, moment in enumerate(moments):
        proc = start_idgraph(*args, "--format", "delta" if i % 2 else "parquet")
        time.sleep(moment)
        kill_group(proc)
        if proc.returncode == 0:  # this run was faster than the kill: its graph is the earlier one now
            finished += 1
            assert manifest(out)["seed"] == 6 and siblings(out) == ["probe"]
            assert all(r.passed for r in validate(out, spark=spark))
            digest = folder_digest(out)
            continue
        killed += 1
        assert folder_digest(out) == digest, f"kill {i} at {moment}s changed the earlier graph"
        leftovers_seen += siblings(out) != ["probe"]
    assert content_hashes(load_tables(spark, out)) == earlier or finished
    assert all(r.passed for r in validate(out, spark=spark))
    result = run_idgraph(*args, "--format", "parquet")
    assert result.returncode == 0, result.stderr[-3000:]
    assert manifest(out)["seed"] == 6
    assert siblings(out) == ["probe"], "the next run removed every leftover"
    assert all(r.passed for r in validate(out, spark=spark))
    record("kills", {"kills": killed, "finished_before_kill": finished, "seed": KILL_SEED, "lost_or_half_written": 0, "span_seconds": round(span, 1), "moments": moments, "kills_leaving_leftovers": leftovers_seen})
