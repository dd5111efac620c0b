"""generate(): real Delta/Parquet output, the manifest, and all-or-nothing writes."""

from __future__ import annotations

import json

import deltalake
import pyarrow.parquet as pq
import pytest

from engine import TABLES, ConfigError, GraphConfig, OutputExistsError, TableFinished, generate, read_manifest, render_table
from engine.sql_identity import sha256, sql_identity


def test_written_tables_are_real_delta_tables_with_the_right_schema(written_graph):
    out, manifest = written_graph
    for table in TABLES:
        dt = deltalake.DeltaTable(str(out / table))
        arrow = dt.to_pyarrow_table()
        assert arrow.num_rows == manifest["tables"][table]["rows"] > 0
    schema = deltalake.DeltaTable(str(out / "identity_mappings")).to_pyarrow_table().schema
    types = {f.name: str(f.type) for f in schema}
    assert types["mapping_id"] == "int64"
    assert types["confidence_score"] == "double"
    assert types["is_primary"] == "bool"
    assert types["observed_at"] == "timestamp[us, tz=UTC]"


def test_manifest_records_seed_config_hash_versions_and_counts(written_graph, small_config):
    out, manifest = written_graph
    on_disk = read_manifest(out).to_dict()
    assert on_disk == json.loads(json.dumps(manifest, default=str))
    assert on_disk["seed"] == small_config.seed
    assert on_disk["config_hash"] == small_config.config_hash()
    assert GraphConfig.from_dict(on_disk["config"]) == small_config
    assert {"pyspark", "mimesis", "deltalake", "python"} <= set(on_disk["versions"])
    assert list(on_disk["tables"]) == list(TABLES)
    assert all(t["seconds"] >= 0 and t["bytes"] > 0 for t in on_disk["tables"].values())
    assert on_disk["total_rows"] == sum(t["rows"] for t in on_disk["tables"].values())
    # what SQL produced it: the rendered SQL's SHA-256, as `idgraph sql TABLE` prints it
    assert on_disk["sql"] == json.loads(json.dumps(sql_identity(small_config)))
    assert on_disk["sql"]["tables"]["households"] == sha256(render_table("households", small_config, small_config.partitions))


def test_existing_output_is_refused_without_overwrite(spark, written_graph, small_config):
    out, manifest = written_graph
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(OutputExistsError, match="--overwrite"):
        generate(small_config, out=str(out), spark=spark)
    assert sorted(p.name for p in out.iterdir()) == before
    assert not list(out.parent.glob(f".{out.name}.staging-*"))


def test_failure_midway_leaves_no_table_and_keeps_previous_output(spark, tmp_path):
    config = GraphConfig(households=50, seed=3, content_items=50, campaigns=5)
    out = tmp_path / "graph"
    first = generate(config.replace(seed=4), out=str(out), format="parquet", spark=spark, tables=("households", "campaigns"))

    def explode_after_two_tables(event):
        if isinstance(event, TableFinished) and event.index == 1:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        generate(config, out=str(out), format="parquet", overwrite=True, spark=spark, on_progress=explode_after_two_tables)
    assert read_manifest(out).to_dict() == json.loads(json.dumps(first, default=str))
    assert sorted(p.name for p in out.iterdir()) == ["_manifest.json", "campaigns", "households"]
    assert not list(tmp_path.glob(".graph.*"))

    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError):
        generate(config, out=str(fresh), spark=spark, on_progress=explode_after_two_tables)
    assert not fresh.exists()
    assert not list(tmp_path.glob(".fresh.*"))


def test_overwrite_replaces_the_output_once_complete(spark, tmp_path):
    config = GraphConfig(households=40, seed=5, content_items=40, campaigns=4)
    out = tmp_path / "graph"
    generate(config, out=str(out), format="parquet", spark=spark, tables=("households",))
    manifest = generate(config.replace(seed=6), out=str(out), format="parquet", overwrite=True, spark=spark, tables=("households", "campaigns"))
    assert read_manifest(out).seed == 6
    files = list((out / "households").glob("*.parquet"))
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == manifest["tables"]["households"]["rows"] == 40


@pytest.mark.parametrize(("kwargs", "field"), [({"format": "csv"}, "format"), ({"out": " "}, "out")])
def test_bad_destination_is_refused_before_spark_work(tmp_path, kwargs, field):
    args = {"out": str(tmp_path / "x"), "format": "delta", **kwargs}
    with pytest.raises(ConfigError) as err:
        generate(GraphConfig(households=10), spark=None, **args)
    assert err.value.field == field
    assert not (tmp_path / "x").exists()


def test_write_order_covers_every_table_once():
    from engine.generate import WRITE_ORDER

    assert sorted(WRITE_ORDER) == sorted(TABLES)
