"""The launch form's validation: the engine's own errors, mapped to the form field they name."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from engine import GraphConfig, expected_rows
from engine.config import ConfigError
from ui import steps

NOW = dt.datetime(2026, 11, 30, 10, 15, tzinfo=dt.timezone.utc)


@pytest.fixture
def values(tmp_path):
    return steps.default_values(out_root=str(tmp_path / "out"))


def test_default_form_passes_every_step(values):
    for step in range(1, steps.REVIEW_STEP):
        assert steps.step_errors(step, values) == {}, step


def test_zero_households_is_reported_at_the_field_with_the_valid_range(values):
    errors = steps.step_errors(1, {**values, "households": 0})
    assert errors == {"households": "Got 0; expected a whole number from 1 to 1 trillion households."}


def test_every_bad_field_of_a_step_gets_its_own_message(values):
    bad = {**values, "age_mean": 500, "age_min": 90, "gender_weights": "female: 0.5, male: 0.2"}
    errors = steps.step_errors(2, bad)
    assert set(errors) == {"age_mean", "age_min", "gender_weights"}
    assert errors["age_min"] == "Got 90; expected at most Oldest age (85)."
    assert "sum to 1 (these sum to 0.7)" in errors["gender_weights"]


def test_weights_that_are_not_category_weight_pairs_are_refused_at_the_field(values):
    errors = steps.step_errors(2, {**values, "income_weights": "lots of money"})
    assert list(errors) == ["income_weights"]
    assert "category: weight pairs" in errors["income_weights"]


def test_a_weight_error_names_the_category(values):
    errors = steps.step_errors(3, {**values, "identifier_type_weights": "email_hash: 0.5, fax: 0.5"})
    assert errors == {"identifier_type_weights": "fax: got 0.5; expected a key from ['email_hash', 'cookie_id', 'mobile_ad_id', 'device_id', 'ctv_id']."}


def test_count_distribution_errors_land_on_the_sub_field(values):
    errors = steps.step_errors(3, {**values, "identifiers.minimum": 9, "identifiers.maximum": 4})
    assert list(errors) == ["identifiers.minimum"]


def test_earlier_step_passes_while_a_later_field_conflicts_then_that_step_reports_it(values):
    short_window = {**values, "end_date": "2023-02-01"}  # 31 days; campaigns default to 90
    assert steps.step_errors(1, short_window) == {}
    assert steps.step_errors(4, short_window) == {"campaign_max_days": "Got 90; expected fewer days than the window 2023-01-01..2023-02-01 (31)."}


@pytest.mark.parametrize("typed", ["1.5", "abc12", "12abc", "1,5", "1e3"])
def test_a_seed_that_is_not_a_whole_number_is_an_error_kept_as_typed(values, typed):
    assert steps.step_errors(1, {**values, "seed": typed}) == {"seed": f"Got {typed!r}; expected a whole number between about -9.2 and 9.2 quintillion (64-bit)."}


def test_whole_numbers_are_read_as_people_type_them(values):
    assert steps.config_from_values({**values, "households": " 1,000,000 ", "seed": "-7"}) == GraphConfig(households=1_000_000, seed=-7)


def test_an_empty_field_is_called_empty_and_an_empty_optional_field_stays_empty(values):
    assert steps.step_errors(1, {**values, "households": ""}) == {"households": "Empty; expected a whole number from 1 to 1 trillion households."}
    assert values["partitions"] == ""
    assert steps.config_from_values(values).partitions is None
    assert steps.config_to_values(steps.config_from_values(values))["partitions"] == ""


def test_form_labels_help_and_bounds_come_from_the_config_metadata():
    from engine.config import FIELDS

    assert steps.FIELD_BY_NAME["households"].label == FIELDS["households"].label
    assert steps.FIELD_BY_NAME["start_date"].label == "Window start (YYYY-MM-DD)"
    assert steps.FIELD_BY_NAME["partitions"].label == "Spark partitions (optional)"
    assert steps.FIELD_BY_NAME["seed"].help == FIELDS["seed"].help


def test_errors_of_later_steps_do_not_block_the_current_one(values):
    assert steps.step_errors(1, {**values, "response_rate": 3}) == {}
    assert list(steps.step_errors(4, {**values, "response_rate": 3})) == ["response_rate"]


def test_form_values_round_trip_to_the_same_config():
    config = GraphConfig(households=1234, seed=9, income_weights={"low": 0.5, "high": 0.5})
    assert steps.config_from_values({**steps.default_values(), **steps.config_to_values(config)}) == config


def test_config_from_invalid_values_raises_naming_the_form_field(values):
    with pytest.raises(ConfigError) as exc:
        steps.config_from_values({**values, "seed": None})
    assert exc.value.field == "seed"


def test_expected_rows_preview_is_the_engines(values):
    rows, total = steps.expected_table({**values, "households": 1000})
    engine_counts = expected_rows(GraphConfig(households=1000))
    assert rows == [[t, f"{n:,}"] for t, n in engine_counts.items()]
    assert total == sum(engine_counts.values())
    assert steps.expected_table({**values, "households": -1}) == ([], None)


def test_presets_and_custom_counts():
    assert steps.preset_for(1_000_000) == "1M"
    assert steps.preset_for(1234) == steps.CUSTOM


def test_local_destination_is_a_timestamped_run_folder_in_the_parent(values, tmp_path):
    target, errors = steps.destination_errors({**values, "households": 1000}, GraphConfig(households=1000), False, NOW)
    assert errors == {}
    assert target.location == str(tmp_path / "out" / "idgraph_1k_20261130t1015")
    assert target.table_names["households"].endswith("idgraph_1k_20261130t1015/households")


def test_existing_local_output_is_refused_unless_overwrite(values, tmp_path):
    (tmp_path / "out" / "idgraph_10k_20261130t1015").mkdir(parents=True)
    _, errors = steps.destination_errors(values, GraphConfig(), False, NOW)
    assert list(errors) == ["folder"] and "--overwrite" in errors["folder"]
    target, errors = steps.destination_errors({**values, "overwrite": True}, GraphConfig(), False, NOW)
    assert errors == {} and target.overwrite


def test_bad_purpose_is_refused_by_the_engines_name_rule(values):
    _, errors = steps.destination_errors({**values, "purpose": "x; DROP"}, GraphConfig(), False, NOW)
    assert list(errors) == ["purpose"]


def test_unity_catalog_needs_a_configured_workspace(values):
    _, errors = steps.destination_errors({**values, "destination": steps.UNITY_CATALOG}, GraphConfig(), False, NOW)
    assert errors["destination"] == steps.UNITY_CATALOG_UNAVAILABLE


def test_unity_catalog_names_are_checked_and_tables_follow_the_convention(values):
    uc = {**values, "destination": steps.UNITY_CATALOG, "catalog": "main", "schema": "bad schema"}
    _, errors = steps.destination_errors(uc, GraphConfig(), True, NOW)
    assert list(errors) == ["schema"]
    target, errors = steps.destination_errors({**uc, "schema": "synthetic"}, GraphConfig(households=1_000_000), True, NOW)
    assert errors == {}
    assert target.table_names["households"] == "idgraph_1m_20261130t1015_households"
    assert target.job.destination.schema_name == "main.synthetic"


def test_uploaded_job_config_fills_graph_and_destination(values):
    job = {"graph": GraphConfig(households=777, age_mean=40.0).to_dict(), "destination": {"catalog": "c", "schema": "s", "purpose": "demo", "launched_at": NOW.isoformat()}}
    loaded, problem = steps.values_from_config_json(json.dumps(job), values)
    assert problem is None
    assert (loaded["households"], loaded["age_mean"], loaded["catalog"], loaded["purpose"], loaded["destination"]) == ("777", "40.0", "c", "demo", steps.UNITY_CATALOG)


def test_uploaded_config_with_an_unknown_field_is_refused_by_name(values):
    loaded, problem = steps.values_from_config_json('{"housholds": 5, "seed": 1, "households": 3}', values)
    assert loaded == values
    assert problem == "This idgraph config has field(s) this version does not know: 'housholds'. Remove them or use a newer idgraph."


def test_a_json_from_another_tool_is_called_not_an_idgraph_config(values):
    loaded, problem = steps.values_from_config_json('{"name": "x", "columns": [], "rows": 5, "seed": 1}', values)
    assert loaded == values
    assert problem.startswith("This file is not an idgraph config")


def test_uploaded_invalid_values_are_kept_so_the_form_can_show_them(values):
    loaded, problem = steps.values_from_config_json('{"households": 0}', values)
    assert problem is None and loaded["households"] == "0"
    assert list(steps.step_errors(1, loaded)) == ["households"]


def test_unity_catalog_defaults_are_the_apps_configured_destination(monkeypatch):
    monkeypatch.setenv("IDGRAPH_CATALOG", "analytics")
    monkeypatch.setenv("IDGRAPH_SCHEMA", "graphs")
    values = steps.default_values(databricks_configured=True)
    assert (values["destination"], values["catalog"], values["schema"]) == (steps.UNITY_CATALOG, "analytics", "graphs")
