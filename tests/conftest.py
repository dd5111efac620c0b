"""Shared fixtures: one local Spark session for the whole test run, small generated graphs."""

from __future__ import annotations

import pytest

from engine import GraphConfig, generate, local_session


@pytest.fixture(scope="session")
def spark():
    """The one SparkSession of the test run: local[2], UI off, UTC."""
    session = local_session(cores=2, app_name="idgraph-tests")
    yield session


@pytest.fixture(scope="session")
def small_config() -> GraphConfig:
    """A graph small enough for quick tests, big enough that every table has rows."""
    return GraphConfig(households=300, seed=7, content_items=500, campaigns=20)


@pytest.fixture(scope="session")
def written_graph(spark, small_config, tmp_path_factory):
    """small_config generated once as local Delta tables; returns (folder, manifest)."""
    out = tmp_path_factory.mktemp("graph") / "out"
    manifest = generate(small_config, out=str(out), format="delta", spark=spark)
    return out, manifest


@pytest.fixture(scope="session")
def local_hashes(spark, written_graph) -> dict[str, str]:
    """Content hashes of the graph the embedded local session wrote (small_config, Delta)."""
    from engine import content_hashes, load_tables

    out, _ = written_graph
    return content_hashes(load_tables(spark, out))


@pytest.fixture
def daemons(tmp_path):
    """Spark daemons under this test's tmp folder, stopped (and killed if need be) afterwards."""
    from sparkprocs import SparkDaemons

    started = SparkDaemons(tmp_path / "spark")
    try:
        yield started
    finally:
        started.stop()


# ---- docs/reliability.md: written from the reliability suite's run when asked -------------
_OUTCOMES: dict[str, str] = {}


def pytest_addoption(parser):
    parser.addoption("--reliability-report", action="store_true", help="write docs/reliability.md from this run's reliability tests")


def pytest_runtest_logreport(report):
    if "test_reliability" in report.nodeid and (report.when == "call" or report.outcome != "passed"):
        _OUTCOMES[report.nodeid] = report.outcome


def pytest_sessionstart(session):
    import time

    session.config._reliability_started = time.monotonic()


def pytest_sessionfinish(session, exitstatus):
    if not session.config.getoption("--reliability-report") or not _OUTCOMES:
        return
    import os
    import platform
    import resource
    import time

    from reliability import FIGURES, ROOT, render_report

    import datetime as _dt
    import json

    peaks = {
        "self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
    }
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    seconds = time.monotonic() - session.config._reliability_started
    # Figures and outcomes are merged into docs/reliability.json, so a run of one file
    # updates its own rows; the Markdown is rendered from the merged record.
    store = ROOT / "docs" / "reliability.json"
    data = json.loads(store.read_text()) if store.exists() else {"figures": {}, "outcomes": {}}
    # peaks are the largest over the merged runs (a run of one small file must not hide the suite's)
    peaks = {k: max(v, data.get("peaks", {}).get(k, 0)) for k, v in peaks.items()}
    data["figures"].update(FIGURES)
    data["outcomes"].update(_OUTCOMES)
    data.update(machine=machine, seconds=round(seconds), peaks=peaks, written=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    store.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    (ROOT / "docs" / "reliability.md").write_text(render_report(data["figures"], data["outcomes"], data["seconds"], machine, peaks))
