"""Validation: every SQL check passes on a generated graph and names itself when broken."""

from __future__ import annotations

import dataclasses
import shutil

import deltalake
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from engine import validate
from engine.integrity import table_files
from engine.manifest import read_manifest, write_manifest
from engine.validate import check_names


def test_every_check_passes_on_a_generated_graph(spark, written_graph):
    out, _ = written_graph
    results = validate(out, spark=spark)
    assert [r.name for r in results] == check_names()
    assert len(results) >= 15
    failed = {r.name: r.violations for r in results if not r.passed}
    assert failed == {}


def _corrupt(out, table, column, change):
    """Rewrite one column of a Delta table through delta-rs (a new table version)."""
    data = deltalake.DeltaTable(str(out / table)).to_pyarrow_table()
    index = data.schema.get_field_index(column)
    data = data.set_column(index, column, change(data.column(column)))
    deltalake.write_deltalake(str(out / table), data, mode="overwrite")
    # The copy's manifest records the rewritten table, as a legitimate rewrite would, so the
    # folder audit passes and the SQL checks are what must find the planted fault.
    manifest = read_manifest(out)
    files = table_files(out / table, manifest.format)
    size = sum(path.stat().st_size for path in files)
    write_manifest(out, dataclasses.replace(manifest, tables={**manifest.tables, table: {**manifest.tables[table], "bytes": size}}))


@pytest.mark.parametrize(
    ("table", "column", "change", "expected_failures"),
    [
        # move every second person to a household that does not exist
        ("individuals", "household_id", lambda c: pc.if_else(pc.equal(pc.bit_wise_and(c, 1), 0), pc.add(c, 10**9), c),
         {"individual_household_fk", "household_size_matches"}),
        # push identifier sightings before the person existed
        ("identity_mappings", "observed_at", lambda c: pc.subtract(c, pa.scalar(10**15, pa.duration("us"))),
         {"time_individual_mapping"}),
    ],
)
def test_a_corrupted_copy_fails_naming_the_check(spark, written_graph, tmp_path, table, column, change, expected_failures):
    source, _ = written_graph
    copy = tmp_path / "copy"
    shutil.copytree(source, copy)
    _corrupt(copy, table, column, change)
    results = {r.name: r for r in validate(copy, spark=spark)}
    failed = {name for name, r in results.items() if not r.passed}
    assert expected_failures <= failed
    assert all(results[name].violations > 0 for name in expected_failures)


_BACK_2000_DAYS = lambda c: pc.subtract(c, pa.scalar(2000 * 86_400 * 10**6, pa.duration("us")))  # noqa: E731


@pytest.mark.parametrize(
    ("table", "column", "change", "expected_failures"),
    [
        # an event whose identifier has no mapping: an inner join would have dropped it silently
        ("content_engagement", "identifier_value", lambda c: pc.binary_join_element_wise(c, "x", ""),
         {"time_mapping_event", "event_identifier_same_individual"}),
        # exposures before the person (and the window) existed
        ("campaign_exposures", "timestamp", _BACK_2000_DAYS,
         {"time_individual_exposure", "time_campaign_exposure", "time_events_in_window"}),
        # the primary moved off the email_hash
        ("identity_mappings", "is_primary", lambda c: pc.invert(c), {"one_primary_per_individual"}),
        # real-looking domains and the key readable in the email
        ("individuals", "email", lambda c: pc.replace_substring(c, "example", "gmail"), {"emails_are_safe_to_share"}),
    ],
)
def test_new_checks_fail_on_the_defect_they_name(spark, written_graph, tmp_path, table, column, change, expected_failures):
    source, _ = written_graph
    copy = tmp_path / "copy"
    shutil.copytree(source, copy)
    _corrupt(copy, table, column, change)
    results = validate(copy, spark=spark, checks=sorted(expected_failures))
    assert {r.name: r.violations > 0 for r in results} == dict.fromkeys(expected_failures, True)
