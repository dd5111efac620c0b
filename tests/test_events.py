"""Typed progress events: the wire format round-trips, and one fold gives a run's progress."""

from __future__ import annotations

import json

from engine import RunDone, RunProgress, TableFailed, TableFinished, TableStarted, event_from_dict, event_to_dict, fold

EVENTS = [
    TableStarted("content_catalog", 0, 3),
    TableStarted("campaigns", 1, 3),
    TableFinished("campaigns", 1, 3, rows=20, bytes=900, files=1, seconds=0.4, path="/o/campaigns"),
    TableStarted("households", 2, 3),
    TableFinished("content_catalog", 0, 3, rows=500, bytes=None, files=None, seconds=0.9, path="c.s.content_catalog"),
]


def test_every_event_round_trips_through_json():
    for event in [*EVENTS, TableFailed("RuntimeError: disk full"), RunDone({"seed": 7})]:
        assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event
    assert event_to_dict(EVENTS[0]) == {"event": "started", "table": "content_catalog", "index": 0, "total": 3}
    assert event_from_dict({"event": "spark_ready", "seconds": 1.0}) is None


def test_the_fold_names_finished_and_running_tables_and_counts_rows():
    progress = fold(EVENTS)
    assert progress.finished == ["campaigns", "content_catalog"]
    assert progress.running == ["households"]
    assert progress.total == 3 and progress.rows_written == 520
    assert progress.to_dict() == {"tables_total": 3, "tables_finished": ["campaigns", "content_catalog"], "current_tables": ["households"], "rows_written": 520}
    failed = fold([TableFailed("boom")], progress)
    assert failed is progress and progress.to_dict()["error"] == "boom"
    assert fold([RunDone({"seed": 7})], RunProgress()).manifest == {"seed": 7}


def test_progress_reads_back_from_its_dict_and_from_an_older_file():
    progress = fold([*EVENTS, TableFailed("boom")])
    back = RunProgress.from_dict(json.loads(json.dumps(progress.to_dict())))
    assert back == progress and back.to_dict() == progress.to_dict()
    # a file written before (with `updated_at`) or one that lacks keys still reads
    older = RunProgress.from_dict({"tables_finished": ["campaigns"], "updated_at": "2025-01-01T00:00:00+00:00"})
    assert older.finished == ["campaigns"] and older.running == [] and older.total is None and older.rows_written == 0
