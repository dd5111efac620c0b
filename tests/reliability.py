"""Helpers of the reliability suite: run `idgraph` as a real process, fingerprint a folder,
and record figures for docs/reliability.md (written by tests/conftest.py's report hook)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
# Figures recorded by the tests of this run: name -> value (see record()).
FIGURES: dict[str, Any] = {}


def record(name: str, value: Any) -> None:
    """Keep a figure of this run for docs/reliability.md (tests/conftest.py writes it)."""
    FIGURES[name] = value


def idgraph_env() -> dict[str, str]:
    return {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": str(ROOT)}


def start_idgraph(*args: str, preexec_fn: Callable[[], None] | None = None) -> subprocess.Popen:
    """`idgraph ARGS` as its own process group (so a kill takes its JVM too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "engine", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=idgraph_env(),
        start_new_session=preexec_fn is None,
        preexec_fn=preexec_fn,
    )


def run_idgraph(*args: str, timeout: float = 900, preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess:
    proc = start_idgraph(*args, preexec_fn=preexec_fn)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def kill_group(proc: subprocess.Popen, timeout: float = 60) -> None:
    """SIGKILL the process and everything in its group, and wait until none is left."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate(timeout=timeout)
    deadline = time.monotonic() + timeout
    while group_alive(proc.pid):
        if time.monotonic() > deadline:
            raise AssertionError(f"processes of group {proc.pid} survived SIGKILL")
        time.sleep(0.1)


def group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is in group `pgid`."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def folder_digest(folder: Path) -> str:
    """sha256 over every file's relative path and bytes: equal digests mean an untouched folder."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def siblings(out: Path) -> list[str]:
    """Every entry beside `out` other than `out` itself: leftovers show up here."""
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "_manifest.json").read_text())
