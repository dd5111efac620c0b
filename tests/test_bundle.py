"""databricks.yml, the Asset Bundle: resolved per target, its job and App are what the SDK's models accept.

The Databricks CLI is not installed here and no workspace is reachable, so `bundle validate`
cannot run; instead the YAML is loaded, `${var.*}` references are resolved for each target
as the CLI would (target overrides over defaults), and the job and the App are round-tripped
through databricks-sdk's request models (`jobs.JobSettings`, `apps.App`), which drop any key
the API does not know: equality means no unknown or dropped field. References to other
resources (`${resources...}`, filled in by the CLI at deploy time) stay as text.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from databricks.sdk.service import apps, jobs

from engine import app_settings, databricks
from ui.jobs import DEFAULT_MAX_CONCURRENT_RUNS

REPO = Path(__file__).resolve().parent.parent
TARGETS = ("dev", "prod")
_VAR = re.compile(r"\$\{var\.([A-Za-z_][A-Za-z0-9_]*)\}")


@pytest.fixture(scope="module")
def bundle() -> dict:
    return yaml.safe_load((REPO / "databricks.yml").read_text())


def resolve(value: Any, variables: dict[str, Any]) -> Any:
    """`${var.name}` replaced in every string (a whole-string reference keeps the variable's type)."""
    if isinstance(value, dict):
        return {k: resolve(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, variables) for v in value]
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)
        if whole:
            return variables[whole.group(1)]
        return _VAR.sub(lambda m: str(variables[m.group(1)]), value)
    return value


def resolved(bundle: dict, target: str) -> dict:
    """The bundle's resources for `target`, variables resolved; an undefined variable fails here."""
    variables = {name: spec.get("default") for name, spec in bundle["variables"].items()}
    variables.update((bundle["targets"][target] or {}).get("variables") or {})
    for name in set(_VAR.findall(yaml.safe_dump(bundle["resources"]))):
        assert name in variables, f"${{var.{name}}} is used but not declared"
    return resolve(bundle["resources"], variables)


def without_empty(value: Any) -> Any:
    """The SDK's as_dict() leaves out empty lists (an unset e-mail list): so do we."""
    if isinstance(value, dict):
        return {k: without_empty(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [without_empty(v) for v in value]
    return value


@pytest.mark.parametrize("target", TARGETS)
def test_bundle_job_round_trips_through_the_jobs_api_model(bundle, target):
    (job,) = resolved(bundle, target)["jobs"].values()
    assert jobs.JobSettings.from_dict(job).as_dict() == without_empty(job)
    assert job["email_notifications"] == {"on_failure": []}  # the hook is there, empty until a deployer sets it


@pytest.mark.parametrize("target", TARGETS)
def test_bundle_app_round_trips_through_the_apps_api_model(bundle, target):
    (app,) = resolved(bundle, target)["apps"].values()
    assert apps.App.from_dict(app).as_dict() == app


def test_the_job_runs_the_wheel_entry_point_with_config_and_run_id(bundle):
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    job = resolved(bundle, "dev")["jobs"]["idgraph_generate"]
    (task,) = job["tasks"]
    wheel_task = task["python_wheel_task"]
    assert task["task_key"] == databricks.TASK_KEY
    assert wheel_task["package_name"] == databricks.WHEEL_PACKAGE == pyproject["project"]["name"]
    assert wheel_task["entry_point"] == databricks.WHEEL_ENTRY_POINT
    assert pyproject["project"]["scripts"][databricks.WHEEL_ENTRY_POINT] == "engine.job:main"
    assert wheel_task["parameters"] == databricks.TASK_PARAMETERS
    assert [p["name"] for p in job["parameters"]] == ["config"]  # launch_run's job parameter
    (environment,) = job["environments"]
    assert environment["environment_key"] == task["environment_key"] == databricks.ENVIRONMENT_KEY
    assert environment["spec"]["environment_version"] == databricks.SERVERLESS_ENVIRONMENT_VERSION
    assert environment["spec"]["dependencies"] == ["./dist/*.whl"]  # the artifact the bundle builds
    assert bundle["artifacts"]["idgraph_wheel"]["type"] == "whl"
    assert job["queue"] == {"enabled": True} and job["timeout_seconds"] > 0
    assert job["max_concurrent_runs"] == DEFAULT_MAX_CONCURRENT_RUNS


def test_the_app_gets_the_job_and_the_volume_as_the_resources_app_yaml_reads(bundle):
    app_yaml = yaml.safe_load((REPO / "app.yaml").read_text())
    app = resolved(bundle, "dev")["apps"]["idgraph"]
    resources = {r["name"]: r for r in app["resources"]}
    assert set(resources) == {e["valueFrom"] for e in app_yaml["env"] if "valueFrom" in e}
    assert resources["job"]["job"] == {"id": "${resources.jobs.idgraph_generate.id}", "permission": "CAN_MANAGE_RUN"}
    volume = resources["volume"]["uc_securable"]
    assert (volume["securable_type"], volume["permission"]) == ("VOLUME", "WRITE_VOLUME")
    assert volume["securable_full_name"] == "bryan_li.${resources.schemas.synthetic_data.name}.idgraph"
    # User authorization: the scopes the review step's permission check reads with.
    assert {"iam.current-user:read", "catalog.catalogs:read", "catalog.schemas:read"} <= set(app["user_api_scopes"])
    env = {e["name"]: e.get("value") for e in app_yaml["env"]}
    assert env["IDGRAPH_JOB_MAX_CONCURRENT_RUNS"] == str(bundle["variables"]["max_concurrent_runs"]["default"])


def test_the_default_destination_is_bryan_li_synthetic_data_with_schema_volume_and_grants(bundle):
    resources = resolved(bundle, "prod")
    schema = resources["schemas"]["synthetic_data"]
    env = {e["name"]: e.get("value") for e in yaml.safe_load((REPO / "app.yaml").read_text())["env"]}
    form_default = app_settings.default_destination(env)  # what the App's form starts from
    assert (schema["catalog_name"], schema["name"]) == form_default == ("bryan_li", "synthetic_data")
    app_sp = "${resources.apps.idgraph.service_principal_client_id}"
    assert schema["grants"] == [{"principal": app_sp, "privileges": ["USE_SCHEMA", "CREATE_TABLE", "MODIFY"]}]
    volume = resources["volumes"]["idgraph"]
    assert volume["volume_type"] == "MANAGED" and volume["grants"][0]["principal"] == app_sp


def test_targets_are_dev_by_default_and_prod(bundle):
    assert set(bundle["targets"]) == set(TARGETS)
    assert bundle["targets"]["dev"] == {"mode": "development", "default": True}
    assert bundle["targets"]["prod"]["mode"] == "production"


def test_the_retired_deploy_files_are_gone():
    assert not (REPO / "deploy").exists()
    assert "jq " not in (REPO / "docs" / "deploy.md").read_text()
