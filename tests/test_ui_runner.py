"""The runner: queue, one active run by default, cancel without partial output, sessions, restart,
and the warm worker's lifecycle (reuse, recycle after N runs or a failure, restart after a
crash or a cancel, previews that never wait for a run).

Workers here are `tests/ui_fake_worker.py --serve` (the worker's protocol without Spark), so
these pin the process management in seconds; the real worker runs in tests/test_ui_e2e.py.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from engine import TABLES
from engine import clean_partial_output, staging_folders
from ui.runner import PreviewError, Runner, WorkerBusyError, apply_event
from ui.state import LocalStore

FAKE_WORKER = [sys.executable, str(Path(__file__).with_name("ui_fake_worker.py"))]


def spec(tmp_path, name="run", seconds=0.05, **fake):
    return {"config": {}, "out": str(tmp_path / "out" / name), "format": "delta", "overwrite": False, "fake": {"seconds": seconds, **fake}}


@pytest.fixture
def runner(tmp_path):
    r = Runner(LocalStore(tmp_path / "state"), command=FAKE_WORKER)
    yield r
    r.shutdown(timeout=10)


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_run_reports_progress_results_and_moves_output_into_place(runner, tmp_path):
    run_id = runner.submit("s1", spec(tmp_path), households=10)
    record = runner.wait(run_id, 30)
    assert record["status"] == "succeeded"
    assert [t["rows"] for t in record["tables"].values()] == [10, 20, 30, 40, 50, 60, 70, 80]
    assert [c["violations"] for c in record["checks"]] == [0, 3]
    assert record["samples"]["campaigns"]["rows"][0] == ["1", "campaigns-a"]
    assert record["manifest"]["total_rows"] == 360
    assert (tmp_path / "out" / "run" / "_manifest.json").exists()
    assert staging_folders(tmp_path / "out" / "run") == []


def test_launches_queue_behind_the_one_active_run(runner, tmp_path):
    first = runner.submit("s1", spec(tmp_path, "a", seconds=0.3))
    second = runner.submit("s2", spec(tmp_path, "b"))
    wait_for(lambda: runner.snapshot(first)["status"] == "running")
    assert runner.snapshot(second)["status"] == "queued"
    assert runner.queue_position(second) == 1
    runner.wait(first, 30)
    assert runner.wait(second, 30)["status"] == "succeeded"
    assert runner.snapshot(second)["started"] >= runner.snapshot(first)["ended"]


def test_two_allowed_runs_go_together_but_never_two_into_the_same_folder(tmp_path):
    runner = Runner(LocalStore(tmp_path / "state"), max_concurrent=2, command=FAKE_WORKER)
    try:
        a = runner.submit("s", spec(tmp_path, "a", seconds=0.3))
        b = runner.submit("s", spec(tmp_path, "b", seconds=0.3))
        same = runner.submit("s", {**spec(tmp_path, "a", seconds=0.3), "overwrite": True})
        wait_for(lambda: runner.snapshot(b)["status"] == "running")
        assert runner.snapshot(a)["status"] == "running"
        assert runner.snapshot(same)["status"] == "queued"
        for run_id in (a, b, same):
            assert runner.wait(run_id, 30)["status"] == "succeeded"
    finally:
        runner.shutdown()


def test_cancel_stops_the_worker_group_and_leaves_no_staging_folder(runner, tmp_path):
    run_id = runner.submit("s1", spec(tmp_path, seconds=5))
    out = tmp_path / "out" / "run"
    wait_for(lambda: runner.snapshot(run_id)["tables"].get("households"))
    (staging,) = staging_folders(out)
    pid = int((staging / "pid").read_text())
    assert runner.cancel(run_id, "s1")
    record = runner.wait(run_id, 15)
    assert record["status"] == "cancelled"
    assert staging_folders(out) == [] and not out.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_cancel_of_a_queued_run_means_it_never_starts(runner, tmp_path):
    first = runner.submit("s1", spec(tmp_path, "a", seconds=0.3))
    second = runner.submit("s1", spec(tmp_path, "b"))
    assert runner.cancel(second, "s1")
    runner.wait(first, 30)
    assert runner.snapshot(second)["status"] == "cancelled"
    assert "started" not in runner.snapshot(second)
    assert not (tmp_path / "out" / "b").exists()


def test_sessions_see_and_cancel_only_their_own_runs(runner, tmp_path):
    mine = runner.submit("alice", spec(tmp_path, "a", seconds=0.3))
    runner.submit("bob", spec(tmp_path, "b"))
    assert [r["run_id"] for r in runner.runs_for("alice")] == [mine]
    assert not runner.cancel(mine, "bob")
    assert runner.wait(mine, 30)["status"] == "succeeded"


def test_a_failing_worker_fails_its_run_with_the_error(runner, tmp_path):
    run_id = runner.submit("s1", spec(tmp_path, fail=True))
    record = runner.wait(run_id, 30)
    assert record["status"] == "failed"
    assert record["error"] == "ConfigError: out: fake failure"
    assert staging_folders(tmp_path / "out" / "run") == []


def test_shutdown_interrupts_active_and_queued_runs_and_cleans_up(tmp_path):
    store = LocalStore(tmp_path / "state")
    runner = Runner(store, command=FAKE_WORKER)
    running = runner.submit("s1", spec(tmp_path, "a", seconds=5))
    queued = runner.submit("s1", spec(tmp_path, "b"))
    wait_for(lambda: runner.snapshot(running)["tables"].get("households"))
    started = time.monotonic()
    runner.shutdown(timeout=10)
    assert time.monotonic() - started < 10
    assert runner.snapshot(running)["status"] == "interrupted"
    assert runner.snapshot(queued)["status"] == "interrupted"
    assert staging_folders(tmp_path / "out" / "a") == []


def test_history_survives_a_restart_and_stale_active_runs_become_interrupted(tmp_path):
    store = LocalStore(tmp_path / "state")
    runner = Runner(store, command=FAKE_WORKER)
    done = runner.submit("s1", spec(tmp_path, "a"))
    runner.wait(done, 30)
    runner.shutdown()
    # A run an app left "running" when it was killed outright, with its staging folder.
    stale = {**runner.snapshot(done), "run_id": "20261130t000000-abcdef", "status": "running", "spec": spec(tmp_path, "b")}
    store.save_run(stale)
    (tmp_path / "out" / ".b.staging-0123456789ab").mkdir()
    again = Runner(LocalStore(tmp_path / "state"), command=FAKE_WORKER)
    try:
        statuses = {r["run_id"]: r["status"] for r in again.runs_for("s1")}
        assert statuses == {done: "succeeded", "20261130t000000-abcdef": "interrupted"}
        assert staging_folders(tmp_path / "out" / "b") == []
    finally:
        again.shutdown()


def test_an_interrupted_swap_puts_the_previous_output_back(tmp_path):
    out = tmp_path / "graph"
    (tmp_path / ".graph.old-0123456789ab").mkdir()
    (tmp_path / ".graph.old-0123456789ab" / "_manifest.json").write_text("{}")
    (tmp_path / ".graph.staging-ba9876543210").mkdir()
    clean_partial_output(out)
    assert (out / "_manifest.json").is_file() and not list(tmp_path.glob(".graph.*"))


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_warm_worker_serves_run_after_run_without_restarting(runner, tmp_path):
    first = runner.wait(runner.submit("s1", spec(tmp_path, "a")), 30)
    second = runner.wait(runner.submit("s1", spec(tmp_path, "b")), 30)
    assert first["status"] == second["status"] == "succeeded"
    assert first["worker_pid"] == second["worker_pid"]
    assert (first["warm"], second["warm"]) == (False, True)
    assert (first["worker_run"], second["worker_run"]) == (1, 2)
    assert runner.pool.pids() == [first["worker_pid"]]
    # Each run keeps its own output, events and log.
    assert (tmp_path / "out" / "a" / "_manifest.json").exists() and (tmp_path / "out" / "b" / "_manifest.json").exists()
    assert [t["rows"] for t in second["tables"].values()] == [10, 20, 30, 40, 50, 60, 70, 80]
    assert (runner.store.run_dir(second["run_id"]) / "worker.log").exists()


def test_the_warm_worker_is_replaced_after_recycle_after_runs(tmp_path):
    runner = Runner(LocalStore(tmp_path / "state"), command=FAKE_WORKER, recycle_after=2)
    try:
        pids = [runner.wait(runner.submit("s", spec(tmp_path, name)), 30)["worker_pid"] for name in "abc"]
        assert pids[0] == pids[1] != pids[2]
        wait_for(lambda: pid_gone(pids[0]))
    finally:
        runner.shutdown()


def test_a_worker_that_dies_fails_only_its_run_with_the_log_tail_and_is_replaced(runner, tmp_path):
    crashed = runner.wait(runner.submit("s1", spec(tmp_path, "a", crash=True)), 30)
    assert crashed["status"] == "failed"
    assert "worker exited with status 3" in crashed["error"]
    assert "OutOfMemoryError: fake crash" in crashed["error"]
    assert staging_folders(tmp_path / "out" / "a") == []
    after = runner.wait(runner.submit("s1", spec(tmp_path, "b")), 30)
    assert after["status"] == "succeeded" and after["worker_pid"] != crashed["worker_pid"]
    assert after["warm"] is False


def test_a_failed_run_recycles_the_worker(runner, tmp_path):
    failed = runner.wait(runner.submit("s1", spec(tmp_path, "a", fail=True)), 30)
    after = runner.wait(runner.submit("s1", spec(tmp_path, "b")), 30)
    assert failed["status"] == "failed" and after["status"] == "succeeded"
    assert after["worker_pid"] != failed["worker_pid"]
    wait_for(lambda: pid_gone(failed["worker_pid"]))


def test_cancel_kills_the_warm_worker_and_the_next_run_gets_a_fresh_one(runner, tmp_path):
    warm = runner.wait(runner.submit("s1", spec(tmp_path, "a")), 30)
    slow = runner.submit("s1", spec(tmp_path, "b", seconds=5))
    wait_for(lambda: runner.snapshot(slow)["tables"].get("households"))
    assert runner.snapshot(slow)["worker_pid"] == warm["worker_pid"]
    assert runner.cancel(slow, "s1")
    assert runner.wait(slow, 15)["status"] == "cancelled"
    assert pid_gone(warm["worker_pid"])
    assert staging_folders(tmp_path / "out" / "b") == [] and not (tmp_path / "out" / "b").exists()
    after = runner.wait(runner.submit("s1", spec(tmp_path, "c")), 30)
    assert after["status"] == "succeeded" and after["worker_pid"] != warm["worker_pid"]


def test_a_preview_uses_the_warm_worker_and_says_busy_during_a_run(runner, tmp_path):
    found = runner.preview({"households": 10, "seed": 7}, rows=5)
    assert set(found["tables"]) == set(TABLES)
    assert found["tables"]["households"]["rows"] == [[str(k), "7"] for k in range(5)]
    assert runner.preview({"households": 10, "seed": 8})["warm"] is True
    slow = runner.submit("s1", spec(tmp_path, "a", seconds=5))
    wait_for(lambda: runner.snapshot(slow)["tables"].get("households"))
    assert runner.snapshot(slow)["worker_pid"] == found["worker_pid"]
    started = time.monotonic()
    with pytest.raises(WorkerBusyError, match="a generation run"):
        runner.preview({"households": 10})
    assert time.monotonic() - started < 5  # answered at once, never after the run (5 s: a loaded machine)
    runner.cancel(slow, "s1")
    runner.wait(slow, 15)
    with pytest.raises(PreviewError, match="households"):
        runner.preview({"households": 0})


def test_a_worker_that_cannot_start_fails_its_run_and_frees_the_slot(tmp_path):
    runner = Runner(LocalStore(tmp_path / "state"), command=[str(tmp_path / "no-such-python")])
    try:
        first = runner.wait(runner.submit("s", spec(tmp_path, "a")), 15)
        second = runner.wait(runner.submit("s", spec(tmp_path, "b")), 15)
        assert (first["status"], second["status"]) == ("failed", "failed")
        assert "could not run" in first["error"] and "no-such-python" in first["error"]
        assert runner.pool.busy_with() == []
    finally:
        runner.shutdown(timeout=10)


def test_a_preview_stopped_by_its_timeout_is_not_handed_to_the_next_request(runner, tmp_path):
    with pytest.raises(PreviewError, match="status 130"):
        runner.preview({"households": 10, "slow_preview_seconds": 60}, timeout=1)
    after = runner.wait(runner.submit("s1", spec(tmp_path, "a")), 30)
    assert after["status"] == "succeeded", after.get("error")


def test_cancel_of_a_run_waiting_for_the_worker_a_preview_holds_is_immediate(runner, tmp_path):
    import threading

    previewing = threading.Thread(target=lambda: runner.preview({"households": 10, "slow_preview_seconds": 8}, timeout=30), daemon=True)
    previewing.start()
    wait_for(lambda: runner.pool.busy_with() == ["preview"])
    waiting = runner.submit("s1", spec(tmp_path, "a"))
    time.sleep(0.5)
    assert runner.snapshot(waiting)["status"] in ("queued", "running")
    started = time.monotonic()
    assert runner.cancel(waiting, "s1")
    assert runner.wait(waiting, 15)["status"] == "cancelled"
    assert time.monotonic() - started < 4 and previewing.is_alive()  # not after the 8-s preview
    previewing.join(30)


def test_shutdown_ends_idle_warm_workers(tmp_path):
    runner = Runner(LocalStore(tmp_path / "state"), command=FAKE_WORKER)
    pid = runner.wait(runner.submit("s", spec(tmp_path, "a")), 30)["worker_pid"]
    assert not pid_gone(pid)
    runner.shutdown()
    wait_for(lambda: pid_gone(pid))


def test_the_real_worker_serves_requests_line_by_line_and_ends_each_one(tmp_path):
    """`python -m ui.worker --serve` itself, on requests that need no Spark: every request gets
    its `end` event, a bad config is a `failed` event (not a traceback on stdout), and the
    worker exits cleanly when its stdin closes."""
    import json
    import subprocess

    requests = [{"request": "preview", "config": {"households": 0}}, {"request": "nope"}]
    done = subprocess.run(
        [sys.executable, "-m", "ui.worker", "--serve"], input="".join(json.dumps(r) + "\n" for r in requests),
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
    )
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["event"] for e in events] == ["failed", "end", "end"]
    assert events[0]["error"].startswith("ConfigError: households: got 0")
    assert [e["status"] for e in events[1:]] == [1, 2]
    assert done.returncode == 0, done.stderr[-2000:]


def test_progress_events_fold_into_the_record():
    record = {"tables": {}}
    apply_event(record, {"event": "started", "table": "households", "index": 0, "total": 8, "time": 100.0})
    assert record["phase"] == "generating households (1/8)"
    apply_event(record, {"event": "finished", "table": "households", "index": 0, "total": 8, "rows": 5, "seconds": 1.5, "time": 101.5})
    apply_event(record, {"event": "failed", "error": "boom"})
    apply_event(record, {"event": "failed", "error": "later"})
    assert record["tables"]["households"]["rows"] == 5
    assert record["error"] == "boom"


def test_job_progress_names_the_tables_that_finished_out_of_key_order():
    from engine import RunProgress
    from ui.jobs import progress_events

    progress = RunProgress.from_dict({"tables_finished": ["content_catalog", "campaigns"], "current_tables": ["households", "individuals"], "updated_at": "x"})
    events = progress_events(progress, now=5.0)
    finished = [e["table"] for e in events if e["event"] == "finished"]
    started = [e["table"] for e in events if e["event"] == "started"]
    assert finished == ["content_catalog", "campaigns"] and started == ["households", "individuals"]
    assert [e["index"] for e in events if e["event"] == "finished"] == [TABLES.index("content_catalog"), TABLES.index("campaigns")]
