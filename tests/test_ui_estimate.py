"""The review step's time and disk estimate, from benchmark cells written into a folder."""

import json

from ui.estimate import estimate

TABLES = {"households": 1.0, "individuals": 2.0}


def _cell(households, cold_wall, rows_per_second):
    tables = {t: {"rows": int(households * k), "bytes": int(households * k * 10),
                  "generator": {"rows_per_second": rows_per_second}} for t, k in TABLES.items()}
    return {"households": households, "cores": 2, "cold_wall_seconds": cold_wall,
            "session_start_seconds": 5.0, "tables": tables}


def _write(folder, name, *cells):
    (folder / name).write_text(json.dumps({"cells": list(cells)}))


def test_a_run_measured_on_a_busy_machine_does_not_drive_the_estimate(tmp_path):
    # Three runs of the same scale: two alike, the newest ten times slower (a loaded machine).
    _write(tmp_path, "20260101T000000Z.json", _cell(10_000, 20.0, 3_000))
    _write(tmp_path, "20260102T000000Z.json", _cell(10_000, 21.0, 2_900))
    _write(tmp_path, "20260103T000000Z.json", _cell(10_000, 210.0, 290))
    expected = {t: int(10_000 * k) for t, k in TABLES.items()}
    found = estimate(10_000, expected, tmp_path, cores=2)
    assert found is not None
    assert 15 < found.seconds < 30, found
    assert "20260103T000000Z.json" not in found.source


def test_the_estimate_at_a_measured_scale_reproduces_that_runs_cold_wall(tmp_path):
    _write(tmp_path, "20260101T000000Z.json", _cell(10_000, 20.0, 3_000), _cell(100_000, 60.0, 6_000))
    for households, cold in ((10_000, 20.0), (100_000, 60.0)):
        expected = {t: int(households * k) for t, k in TABLES.items()}
        found = estimate(households, expected, tmp_path, cores=2)
        assert abs(found.seconds - cold) < 0.01, (households, found)
        assert found.bytes == sum(rows * 10 for rows in expected.values())
