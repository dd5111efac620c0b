"""Two runs, one folder; leftovers of killed runs; a folder appearing during a run.

The output lock (engine/lock.py) makes a second run aimed at a folder being written fail
at once with exit status 3; a killed run's lock never blocks the next; the next run
cleans what a killed run left beside the output; the finished folder is moved in place
in one step, never over a folder that appeared meanwhile (engine/fsmove.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from engine import GraphConfig, generate
from engine.lock import OutputLock, OutputLockedError
from engine.sinks import MANIFEST, DirectorySink, OutputExistsError
from reliability import ROOT, idgraph_env, manifest, record, run_idgraph, siblings, start_idgraph

HOLD_LOCK = "import sys, time; from engine.lock import OutputLock; OutputLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(600)"


def hold_lock_in_child(out) -> subprocess.Popen:
    """A separate process holding the lock of `out` until killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=idgraph_env())
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_run_aimed_at_a_folder_being_written_is_refused_at_once_with_status_3(tmp_path):
    out = tmp_path / "G"
    holder = hold_lock_in_child(out)
    try:
        result = run_idgraph("generate", "--households", "50", "--out", str(out), timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 3, result.stderr
    assert f"locked by pid {holder.pid}" in result.stderr
    assert "Using Spark" not in result.stderr  # refused before any Spark work
    assert not out.exists()


def test_the_lock_is_exclusive_and_removed_on_release(tmp_path):
    out = tmp_path / "G"
    with OutputLock(out) as first:
        with pytest.raises(OutputLockedError, match=f"locked by pid {os.getpid()}"):
            OutputLock(out).acquire()
        assert first.path.exists()
    assert siblings(out) == []
    with OutputLock(out):  # free again
        pass


def test_a_killed_runs_lock_does_not_block_the_next_run(tmp_path):
    out = tmp_path / "G"
    holder = hold_lock_in_child(out)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    sink = DirectorySink(out, "parquet")
    sink.prepare()
    try:
        assert sink.lock.recovered["pid"] == holder.pid  # the crashed holder, replaced
    finally:
        sink.abort()
    assert siblings(out) == []


def test_the_next_run_cleans_leftovers_of_killed_runs_and_nothing_else(spark, tmp_path):
    out = tmp_path / "G"
    leftovers = [".G.staging-0123456789ab", ".G.old-ba9876543210"]
    unrelated = [".G.staging-notours", ".H.staging-0123456789ab", ".G.staging-abc.staging-0123456789ab"]
    for name in leftovers + unrelated:
        (tmp_path / name / "households").mkdir(parents=True)
        (tmp_path / name / "households" / "part-0.parquet").write_bytes(b"half a table")
    generate(GraphConfig(households=30, seed=3, content_items=50, campaigns=5), out=str(out), format="parquet", spark=spark)
    assert manifest(out)["seed"] == 3
    assert siblings(out) == sorted(unrelated)


def test_a_run_killed_between_its_two_moves_gets_its_previous_output_back(tmp_path):
    out = tmp_path / "G"
    previous = tmp_path / ".G.old-0123456789ab"
    previous.mkdir()
    (previous / MANIFEST).write_text('{"seed": 1}')
    sink = DirectorySink(out, "parquet", overwrite=True)
    sink.prepare()
    sink.abort()
    assert manifest(out) == {"seed": 1}
    assert siblings(out) == []


def test_a_folder_that_appears_during_a_run_is_never_replaced(tmp_path):
    out = tmp_path / "G"
    sink = DirectorySink(out, "parquet")
    sink.prepare()
    (sink.staging / "households").mkdir()
    out.mkdir()  # someone else's empty folder, created after the existence check
    with pytest.raises(OutputExistsError, match="appeared during the run"):
        sink.commit({"seed": 1})
    sink.abort()
    assert list(out.iterdir()) == []
    assert siblings(out) == []


@pytest.mark.slow
def test_two_runs_started_together_on_one_new_folder_one_wins_one_is_refused(tmp_path):
    out = tmp_path / "G"
    common = ["generate", "--households", "100", "--format", "parquet", "--out", str(out)]
    t0 = time.monotonic()
    procs = {seed: start_idgraph(*common, "--seed", str(seed)) for seed in (1, 2)}
    results = {seed: (p.wait(timeout=900), p.stdout.read(), p.stderr.read()) for seed, p in procs.items()}
    codes = sorted(code for code, _, _ in results.values())
    assert codes == [0, 3], {s: (c, e[-2000:]) for s, (c, _, e) in results.items()}
    winner = next(seed for seed, (code, _, _) in results.items() if code == 0)
    loser_err = next(err for code, _, err in results.values() if code == 3)
    assert "locked by pid" in loser_err and "Using Spark" not in loser_err
    assert manifest(out)["seed"] == winner
    assert siblings(out) == []
    record("two_runs_one_folder", {"runs": 2, "won": 1, "refused": 1, "seconds": round(time.monotonic() - t0, 1)})
