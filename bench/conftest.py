"""Fixtures of the micro-benchmarks (`pytest bench --benchmark-only`): one local[2] session."""

from __future__ import annotations

import pytest

from engine import local_session


@pytest.fixture(scope="session")
def spark():
    """The benchmarks' SparkSession: local[2], UI off, UTC (engine.local_session)."""
    return local_session(cores=2, app_name="idgraph-micro-benchmarks")
