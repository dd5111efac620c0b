"""The Databricks App's environment: the variables `app.yaml` sets and what they default to.

`app.yaml` gives the app the default destination of a launch (`IDGRAPH_CATALOG`,
`IDGRAPH_SCHEMA`: plain values a deployer overrides), the UC volume for checkpoints, configs
and run records (`IDGRAPH_VOLUME`, from the app's volume resource) and the job that runs the
generator (`IDGRAPH_JOB_ID`, from its job resource). `ui.jobs.WorkspaceSettings` reads the
last two; `default_destination()` reads the first two. `tests/test_app_yaml.py` holds app.yaml
to these names.
"""

from __future__ import annotations

import os
from typing import Mapping

from engine.config import ConfigError
from engine import names

CATALOG_ENV = "IDGRAPH_CATALOG"
SCHEMA_ENV = "IDGRAPH_SCHEMA"
VOLUME_ENV = "IDGRAPH_VOLUME"
JOB_ID_ENV = "IDGRAPH_JOB_ID"

# The destination a new launch form starts from, unless app.yaml (the deployer) says otherwise.
# No catalog in code: it names a person or team, so the deployment's app.yaml supplies it;
# without one the form's catalog field starts empty and asks for it.
DEFAULT_CATALOG = ""
DEFAULT_SCHEMA = "synthetic_data"


def default_destination(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(catalog, schema) from IDGRAPH_CATALOG / IDGRAPH_SCHEMA, else "" (none) / synthetic_data.

    A value that is not a safe Unity Catalog identifier is refused, naming the variable.
    """
    env = os.environ if environ is None else environ
    catalog = env.get(CATALOG_ENV) or DEFAULT_CATALOG
    schema = env.get(SCHEMA_ENV) or DEFAULT_SCHEMA
    for variable, kind, value in ((CATALOG_ENV, "catalog", catalog), (SCHEMA_ENV, "schema", schema)):
        if not value:
            continue
        try:
            names.validate_identifier(kind, value)
        except ConfigError as exc:
            raise ConfigError(variable, value, exc.expected) from None
    return catalog, schema
