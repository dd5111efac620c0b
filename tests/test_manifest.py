"""Manifests as typed objects: the file's JSON round-trips key for key, unknown keys kept, old files still read."""

from __future__ import annotations

import json

import pytest

from engine import CorruptOutputError, JobManifest, Manifest, read_manifest, write_manifest

# A manifest as generate writes it (its keys in the file's order).
WRITTEN = {
    "seed": 7,
    "config_hash": "abc123",
    "config": {"households": 40, "seed": 7},
    "format": "parquet",
    "out": "/tmp/graph",
    "started_at": "2025-01-01T00:00:00+00:00",
    "versions": {"python": "3.11.9", "pyspark": "4.0.0"},
    "sql": {"tables": {"households": "0" * 64}},
    "tables": {"households": {"rows": 40, "bytes": 900, "files": 1, "seconds": 0.4, "path": "/tmp/graph/households"}},
    "partitions": 2,
    "finished_at": "2025-01-01T00:00:05+00:00",
    "wall_seconds": 5.0,
    "total_rows": 40,
}


def test_a_manifest_round_trips_key_for_key_and_in_order():
    manifest = Manifest.from_dict(WRITTEN)
    assert manifest.seed == 7 and manifest.format == "parquet" and manifest.tables["households"]["rows"] == 40
    assert manifest.extra == {}
    assert list(manifest.to_dict().items()) == list(WRITTEN.items())


def test_unknown_keys_are_kept_and_written_back(tmp_path):
    newer = {**WRITTEN, "content_hashes": {"households": "ff"}, "extra": 1}
    write_manifest(tmp_path, Manifest.from_dict(newer))
    back = read_manifest(tmp_path)
    assert back.extra == {"content_hashes": {"households": "ff"}, "extra": 1}
    assert json.loads((tmp_path / "_manifest.json").read_text()) == newer == back.to_dict()


def test_an_older_manifest_with_fewer_keys_still_reads_and_writes_back_unchanged(tmp_path):
    older = {k: WRITTEN[k] for k in ("seed", "config", "format", "tables")}
    (tmp_path / "_manifest.json").write_text(json.dumps(older))
    manifest = read_manifest(tmp_path)
    assert manifest.partitions is None and manifest.total_rows is None and manifest.sql is None
    assert manifest.to_dict() == older


def test_a_manifest_without_its_tables_is_damaged(tmp_path):
    (tmp_path / "_manifest.json").write_text(json.dumps({"seed": 1}))
    with pytest.raises(CorruptOutputError, match=r"lacks \['config', 'format', 'tables'\]"):
        read_manifest(tmp_path)
    with pytest.raises(ValueError, match="lacks"):
        Manifest.from_dict({"config": {}, "format": "delta"})


def test_the_job_manifest_wraps_the_generator_manifest_and_round_trips():
    written = {
        "generator_manifest": WRITTEN,
        "tables": {"households": "c.s.p_households"},
        "table_properties": {"idgraph.seed": "7"},
        "cluster_by": {"households": ["household_id"]},
        "tags": {"SET TAG ...": "ok"},
        "run_id": "123",
        "principal": "sp",
        "finished_at": "2025-01-01T00:00:06+00:00",
        "later_field": True,
    }
    job = JobManifest.from_json(json.dumps(written))
    assert job.generator_manifest == Manifest.from_dict(WRITTEN) and job.extra == {"later_field": True}
    assert json.loads(job.to_json()) == written
    assert job.to_json() == json.dumps(written, indent=2, sort_keys=True)
    # a file without the generator's manifest (or with keys missing) still reads
    assert JobManifest.from_dict({"run_id": None}).generator_manifest is None
    assert JobManifest.from_dict({}).to_dict()["run_id"] is None
