"""The committed (config, seed) -> content hash per table, and the command that rewrites it.

A restructuring must not change one generated value; tests/test_content_hashes.py compares
a fresh build of each config below against tests/data/content_hashes.json. A change that
alters values on purpose regenerates the table, in a commit that says why:

    PYSPARK_PYTHON=.venv/bin/python .venv/bin/python tests/content_hash_table.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TABLE_FILE = Path(__file__).parent / "data" / "content_hashes.json"

# Config overrides (on top of GraphConfig's defaults), small enough to build in seconds.
CONFIGS: list[dict] = [
    {"households": 300, "seed": 7, "content_items": 500, "campaigns": 20},
    {"households": 1000, "seed": 42, "partitions": 3},
]


def compute(spark) -> list[dict]:
    """[{config, hashes}] for every config in CONFIGS, built on `spark`."""
    from engine import GraphConfig, build, content_hashes

    return [{"config": overrides, "hashes": content_hashes(build(spark, GraphConfig(**overrides)))} for overrides in CONFIGS]


def main() -> int:
    from engine import local_session

    entries = compute(local_session(cores=2, app_name="idgraph-content-hashes"))
    TABLE_FILE.write_text(json.dumps({"entries": entries}, indent=2) + "\n")
    print(f"wrote {TABLE_FILE}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
