"""The machine and software a benchmark ran on, recorded beside every result.

Figures are only comparable between runs on the same hardware and versions, so each
results file carries the cores, memory, CPU model, Python, Spark, Java and package
versions and the git commit (with a flag when the tree had uncommitted changes).
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

# Packages whose versions decide the output or its speed.
PACKAGES = ("idgraph", "pyspark", "pyarrow", "deltalake", "mimesis", "numpy", "pandas", "matplotlib", "pytest-benchmark")

_REPO = Path(__file__).resolve().parent.parent


def capture_environment() -> dict[str, Any]:
    """Cores, memory, CPU, OS, Python, Java, package versions and git commit of this machine."""
    return {
        "cores": os.cpu_count(),
        "memory_bytes": _total_memory_bytes(),
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": java_version(),
        "packages": package_versions(),
        "git": git_state(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def package_versions() -> dict[str, str]:
    """Installed version of each package in PACKAGES ("not installed" when absent)."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def java_version() -> str | None:
    """First line of `java -version` (the JVM Spark starts), or None when there is no java."""
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def git_state(repo: Path = _REPO) -> dict[str, Any]:
    """The commit checked out in `repo` and whether tracked files had uncommitted changes."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _total_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None
