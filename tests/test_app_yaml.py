"""app.yaml, the app's resources and the job definition agree with what the code reads.

The Databricks App runs `app.yaml`'s command with its env; `databricks.yml` declares the
resources its `valueFrom` keys name and the job the app launches (tests/test_bundle.py).
Each value is checked against the code that consumes it (`engine.app_settings`, `ui.jobs`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from engine import app_settings, databricks
from engine.config import ConfigError

REPO = Path(__file__).resolve().parent.parent
# What a deployment resolves the resources to (the volume resource gives its /Volumes path).
RESOLVED = {"volume": "/Volumes/bryan_li/synthetic_data/idgraph", "job": "123456789"}


@pytest.fixture(scope="module")
def app_yaml() -> dict:
    return yaml.safe_load((REPO / "app.yaml").read_text())


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def app_env(app_yaml: dict) -> dict[str, str]:
    """app.yaml's env as the app sees it, resources resolved as a deployment would."""
    return {e["name"]: e["value"] if "value" in e else RESOLVED[e["valueFrom"]] for e in app_yaml["env"]}


def test_app_yaml_runs_the_gradio_app_on_the_platform_port(app_yaml):
    from ui.app import listen_address

    assert app_yaml["command"] == ["python", "-m", "ui.app"]
    assert (REPO / "ui" / "app.py").is_file()
    assert listen_address(None, None, {"DATABRICKS_APP_PORT": "8000"}) == ("0.0.0.0", 8000)


def test_app_yaml_env_entries_are_plain_values_or_resource_references(app_yaml):
    for entry in app_yaml["env"]:
        assert set(entry) in ({"name", "value"}, {"name", "valueFrom"}), entry
        assert isinstance(entry.get("value", ""), str), f"{entry['name']}: app.yaml values must be strings"


def test_app_yaml_supplies_the_destination_and_code_has_no_personal_default(app_yaml):
    env = app_env(app_yaml)

    assert env[app_settings.CATALOG_ENV] == "bryan_li"
    assert app_settings.DEFAULT_CATALOG == ""
    assert env[app_settings.SCHEMA_ENV] == app_settings.DEFAULT_SCHEMA == "synthetic_data"
    assert app_settings.default_destination(env) == ("bryan_li", "synthetic_data")


def test_deployer_override_of_catalog_and_schema_wins():
    env = {app_settings.CATALOG_ENV: "analytics", app_settings.SCHEMA_ENV: "graphs"}
    assert app_settings.default_destination(env) == ("analytics", "graphs")
    assert app_settings.default_destination({}) == ("", "synthetic_data")


@pytest.mark.parametrize("variable", [app_settings.CATALOG_ENV, app_settings.SCHEMA_ENV])
@pytest.mark.parametrize("value", ["main; DROP SCHEMA x", "cat`alog", "a.b", "two words"])
def test_unsafe_destination_from_the_environment_is_refused_naming_the_variable(variable, value):
    with pytest.raises(ConfigError) as error:
        app_settings.default_destination({variable: value})
    assert error.value.field == variable
    assert error.value.value == value


def test_app_yaml_resources_feed_the_settings_the_app_reads(app_yaml):
    from ui.jobs import WorkspaceSettings

    value_from = {e["name"]: e["valueFrom"] for e in app_yaml["env"] if "valueFrom" in e}
    assert value_from == {app_settings.VOLUME_ENV: "volume", app_settings.JOB_ID_ENV: "job"}

    settings = WorkspaceSettings.from_env({**app_env(app_yaml), "DATABRICKS_HOST": "https://example.cloud.databricks.com"})
    assert settings.configured
    assert settings.volume == RESOLVED["volume"] == databricks.volume_root(settings.volume)
    assert settings.job_id == int(RESOLVED["job"])


def test_every_app_yaml_variable_is_read_by_the_code(app_yaml):
    sources = "\n".join(p.read_text(encoding="utf-8") for folder in ("engine", "ui") for p in (REPO / folder).rglob("*.py"))
    for entry in app_yaml["env"]:
        name = entry["name"]
        assert re.search(rf"[\"']{name}[\"']", sources), f"app.yaml sets {name} but nothing in engine/ or ui/ reads it"


def test_app_requirements_are_the_package_dependencies_and_the_app_extra(pyproject):
    lines = (REPO / "requirements.txt").read_text().splitlines()
    requirements = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    project = pyproject["project"]
    assert requirements == project["dependencies"] + project["optional-dependencies"]["app"]


def test_the_wheel_leaves_pyspark_to_the_cluster(pyproject):
    project = pyproject["project"]
    assert not any(dep.startswith("pyspark") for dep in project["dependencies"])
    assert project["optional-dependencies"]["local"][0] == "pyspark==4.3.0"
