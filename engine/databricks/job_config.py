"""What a Databricks job run needs: the graph config plus where and how to write it.

The launch form builds a `JobConfig`, the app uploads its JSON to a Unity Catalog volume,
and `engine.job` reads it back on the cluster. The JSON is
`{"graph": {...GraphConfig.to_dict()...}, "destination": {"catalog", "schema", "purpose",
"overwrite", "cluster", "launched_at"}}`. The launch time is fixed in the destination, so
the table names (`{purpose}_{scale}_{timestamp}_{table}`, see `engine.names.table_name`) are
known before the job starts and are the same when the job re-reads the file.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any, Mapping

from engine import names
from engine.config import ConfigError, GraphConfig
from engine.keys import TABLES

# Liquid clustering keys per table (CREATE ... CLUSTER BY), set when the table is created so
# no second rewrite is needed. From the research note (households by location and income,
# engagement by individual and time), with location mapped to our state column; identity
# lookups go by identifier value.
CLUSTER_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "households": ("state", "income_bracket"),
    "identity_mappings": ("identifier_type", "identifier_value"),
    "content_engagement": ("individual_id", "timestamp"),
    "campaign_exposures": ("individual_id", "timestamp"),
}

DEFAULT_PURPOSE = "idgraph"


@dataclass(frozen=True)
class Destination:
    """Where a run writes: Unity Catalog `catalog.schema`, and how its tables are named."""

    catalog: str
    schema: str
    purpose: str = DEFAULT_PURPOSE
    overwrite: bool = False
    # Liquid clustering (CLUSTER_COLUMNS) on the large tables.
    cluster: bool = True
    # ISO-8601 UTC launch time, e.g. "2026-11-30T10:15:00+00:00"; names the tables.
    launched_at: str = ""

    def validate(self) -> "Destination":
        names.validate_identifier("catalog", self.catalog)
        names.validate_identifier("schema", self.schema)
        names.validate_purpose(self.purpose)
        for field in ("overwrite", "cluster"):
            if not isinstance(getattr(self, field), bool):
                raise ConfigError(f"destination.{field}", getattr(self, field), "true or false")
        self.launch_time()
        return self

    def launch_time(self) -> _dt.datetime:
        try:
            moment = _dt.datetime.fromisoformat(self.launched_at)
        except (TypeError, ValueError):
            raise ConfigError("destination.launched_at", self.launched_at, "an ISO-8601 time such as 2026-11-30T10:15:00+00:00") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)

    @property
    def schema_name(self) -> str:
        """`catalog.schema`, unquoted (both parts are validated identifiers)."""
        return f"{self.catalog}.{self.schema}"


@dataclass(frozen=True)
class JobConfig:
    """A graph config and its destination: the whole input of one Databricks job run."""

    graph: GraphConfig
    destination: Destination

    @classmethod
    def build(
        cls,
        graph: GraphConfig,
        catalog: str,
        schema: str,
        *,
        purpose: str = DEFAULT_PURPOSE,
        overwrite: bool = False,
        cluster: bool = True,
        now: _dt.datetime | None = None,
    ) -> "JobConfig":
        """A validated job config launched `now` (default: the current UTC minute)."""
        moment = (now or _dt.datetime.now(_dt.timezone.utc)).replace(second=0, microsecond=0)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.timezone.utc)
        destination = Destination(catalog, schema, purpose, overwrite, cluster, moment.astimezone(_dt.timezone.utc).isoformat())
        return cls(graph.validate(), destination.validate()).validate()

    def validate(self) -> "JobConfig":
        """Check the graph, the destination and that every table name fits Unity Catalog."""
        self.graph.validate()
        self.destination.validate()
        self.table_names()
        return self

    @property
    def prefix(self) -> str:
        """`{purpose}_{scale}_{timestamp}`: the run's key and its tables' common prefix."""
        d = self.destination
        return names.table_prefix(d.purpose, self.graph.households, d.launch_time())

    def cluster_by(self) -> dict[str, tuple[str, ...]]:
        """Generated table -> its clustering columns (none when the destination turns it off)."""
        return dict(CLUSTER_COLUMNS) if self.destination.cluster else {}

    def table_names(self) -> dict[str, str]:
        """Generated table -> its Unity Catalog table name (unqualified)."""
        d = self.destination
        return {t: names.table_name(d.purpose, self.graph.households, d.launch_time(), t) for t in TABLES}

    def qualified_names(self) -> dict[str, str]:
        """Generated table -> "`catalog`.`schema`.`name`"."""
        d = self.destination
        return {t: names.qualified_name(d.catalog, d.schema, n) for t, n in self.table_names().items()}

    # ---- JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"graph": self.graph.to_dict(), "destination": dataclasses.asdict(self.destination)}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "JobConfig":
        """Build and validate; unknown or missing keys are refused by name."""
        if not isinstance(data, Mapping) or set(data) != {"graph", "destination"}:
            raise ConfigError("job config", data if not isinstance(data, Mapping) else sorted(data), 'an object with exactly "graph" and "destination"')
        dest = data["destination"]
        known = {f.name for f in dataclasses.fields(Destination)}
        if not isinstance(dest, Mapping):
            raise ConfigError("destination", dest, f"an object with fields {sorted(known)}")
        unknown = sorted(set(dest) - known)
        if unknown:
            raise ConfigError(f"destination.{unknown[0]}", dest[unknown[0]], f"one of the destination fields {sorted(known)}")
        for required in ("catalog", "schema", "launched_at"):
            if required not in dest:
                raise ConfigError(f"destination.{required}", None, "a value (it is required)")
        return cls(GraphConfig.from_dict(data["graph"]), Destination(**dest)).validate()

    @classmethod
    def from_json(cls, text: str) -> "JobConfig":
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ConfigError("job config", str(text)[:80], f"valid JSON ({exc})") from None
        return cls.from_dict(data)
