"""Runs the Databricks job entry point over Spark Connect, as a serverless job would; records what it did.

    python tests/serverless_job_client.py --remote sc://... --out result.json -- <engine.job arguments>

The job's workspace is whatever DATABRICKS_HOST / DATABRICKS_TOKEN name (the test's fake
workspace over HTTP). Around `engine.job.run` it reads the session's settings from the
server (`spark.conf.getAll`), so the record says which properties the job set. Afterwards
it reads the written tables back through the catalog: their content hashes, properties,
comments and clustering columns. A separate process: a Connect session would switch
pyspark into Connect mode for the rest of a pytest run.
"""

from __future__ import annotations

import argparse
import json
import sys

from pyspark.sql import SparkSession

from engine import job
from engine.contenthash import content_hashes


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--remote", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--schema", required=True, help="catalog.schema to create first (the bundle creates it on Databricks)")
    parser.add_argument("job_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    spark = SparkSession.builder.remote(args.remote).getOrCreate()
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {args.schema}")
    before = dict(spark.conf.getAll)
    result = job.run([a for a in args.job_args if a != "--"], spark=spark)
    after = dict(spark.conf.getAll)
    tables = {t: spark.table(name) for t, name in result.tables.items()}
    described = {}
    for table, name in result.tables.items():
        properties = {r["key"]: r["value"] for r in spark.sql(f"SHOW TBLPROPERTIES {name}").collect()}
        info = spark.catalog.getTable(name)
        columns = {c.name: c.description for c in spark.catalog.listColumns(name)}
        described[table] = {"properties": properties, "comment": info.description, "columns": columns}
    record = {
        "session_type": type(spark).__module__,
        "properties_set": sorted(k for k in after if before.get(k) != after[k]),
        "hashes": content_hashes(tables),
        "tables": described,
        "manifest": result.to_dict(),
    }
    with open(args.out, "w") as f:
        json.dump(record, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
