"""The wheel (what the Databricks job installs) holds the SQL, depends only on what generation
needs on a cluster, and leaves PySpark, the UI's packages and local Delta to extras."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # built from a copy: setuptools writes build/ and *.egg-info into the source tree
    source = tmp_path_factory.mktemp("source") / "idgraph"
    keep = ("engine", "cli", "ui", "bench", "sql", "pyproject.toml", "README.md")
    shutil.copytree(REPO, source, ignore=lambda folder, names: [n for n in names if Path(folder) == REPO and n not in keep] + ["__pycache__"])
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True, capture_output=True, text=True, cwd=out,
    )
    return next(out.glob("idgraph-*.whl"))


def test_wheel_holds_every_sql_file_beside_the_engine(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    # what the renderer, the checks and the profile read; sql/golden/ is for reviewers, not clusters
    expected = {str(p.relative_to(REPO)) for p in (REPO / "sql").rglob("*.sql") if "golden" not in p.parts}
    assert expected and expected <= names
    assert not any(n.startswith("sql/golden/") for n in names)
    assert "engine/render.py" in names


def test_wheel_requires_pyspark_only_through_an_extra(wheel):
    with zipfile.ZipFile(wheel) as z:
        metadata = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    pyspark = [line for line in metadata.splitlines() if line.startswith("Requires-Dist: pyspark")]
    assert pyspark and all("extra ==" in line for line in pyspark)


def test_installed_wheel_renders_tables_from_its_own_sql(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True)
    probe = (
        "import engine, engine.render as r;"
        "print(engine.__file__); print(r.SQL_DIR);"
        "print(len(r.Renderer(engine.GraphConfig(households=10)).table('identity_mappings')))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path, env=env).stdout.split()
    assert out[0].startswith(str(target)) and out[1].startswith(str(target))
    assert int(out[2]) > 1000


def _requirements(wheel: Path) -> dict[str | None, set[str]]:
    """Requires-Dist of the wheel's METADATA, by extra (None: the core), as bare project names."""
    import re

    with zipfile.ZipFile(wheel) as z:
        metadata = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    found: dict[str | None, set[str]] = {}
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist: "):
            spec, _, marker = line.removeprefix("Requires-Dist: ").partition(";")
            extra = re.search(r'extra == "([^"]+)"', marker)
            name = re.match(r"[A-Za-z0-9_.-]+", spec.strip()).group(0).lower()
            found.setdefault(extra.group(1) if extra else None, set()).add(name)
    return found


def test_core_wheel_depends_only_on_what_generation_needs_on_a_cluster(wheel):
    requirements = _requirements(wheel)
    assert requirements[None] == {"mimesis", "databricks-sdk"}
    assert {"pyspark", "deltalake", "pyarrow"} <= requirements["local"]
    assert {"gradio", "matplotlib"} <= requirements["app"]
    assert "pyspark" in requirements["connect"]
    assert {"idgraph", "pytest", "import-linter"} <= requirements["test"]


def test_wheel_holds_the_library_and_the_composition_root_and_no_tests(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("engine/__init__.py", "engine/errors.py", "engine/manifest.py", "engine/data/weights.json", "cli/main.py", "cli/submit.py", "ui/app.py", "bench/harness.py"):
        assert module in names
    assert not any(n.startswith(("tests/", "docs/", "deploy/")) for n in names)
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "idgraph = cli.main:main" in entry_points and "idgraph-job = engine.job:main" in entry_points
