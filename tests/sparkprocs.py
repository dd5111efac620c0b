"""Spark processes for the distributed tests, started with pyspark's own `sbin` scripts.

A Spark Connect server, a standalone master and its workers run on 127.0.0.1 on free ports.
Everything they write (pid files, logs, worker folders) lives under one folder, so parallel
test runs on one machine never share a pid file. `stop()` stops each daemon through its
script, kills by pid what is still alive, then kills any process left working inside the
folder (executors the workers launched, a driver's JVM); it also runs at interpreter exit.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyspark

SPARK_HOME = Path(pyspark.__file__).parent
SBIN = SPARK_HOME / "sbin"
LOOPBACK = "127.0.0.1"

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
CONNECT_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"

# How long a daemon may take to come up on a busy 2-core machine.
START_TIMEOUT_SECONDS = 120
# How long a daemon may take to exit after SIGTERM before it is killed.
STOP_TIMEOUT_SECONDS = 20
# Daemon JVM heap (master, workers): they only schedule; the default is 1g each.
DAEMON_MEMORY = "256m"
# JVM flags for every short-lived JVM of these tests (daemons, drivers, executors): the C1
# compiler only and a single-threaded GC. Measured here for a small build + content hash in
# local mode: 52 s of JVM CPU instead of 86 s, on a 2-core machine where CPU is the limit.
JVM_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# Variables that would redirect a daemon or the client elsewhere (SPARK_MASTER makes
# spark-daemon.sh rsync from it; SPARK_REMOTE turns classic sessions into Connect ones).
_SCRUBBED = ("SPARK_MASTER", "SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_API_MODE", "SPARK_CONF_DIR", "PYSPARK_SUBMIT_ARGS")


class SparkProcessError(RuntimeError):
    """A Spark daemon did not start (the message carries the end of its log)."""


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks) of a process, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[19])


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


@dataclass(frozen=True)
class Proc:
    """A process as first seen: a pid and its start time, so a recycled pid is never killed."""

    pid: int
    started: int

    @classmethod
    def of(cls, pid: int) -> "Proc | None":
        stat = _stat(pid)
        return cls(pid, stat[1]) if stat else None

    def alive(self) -> bool:
        stat = _stat(self.pid)
        return stat is not None and stat[0] != "Z" and stat[1] == self.started


def spark_env(root: Path) -> dict[str, str]:
    """The environment for scripts, daemons and drivers: loopback only, this interpreter, files under root."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    conf_dir = root / "conf"  # empty: no stray spark-defaults.conf from the machine
    conf_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        SPARK_HOME=str(SPARK_HOME),
        SPARK_CONF_DIR=str(conf_dir),
        SPARK_PID_DIR=str(root / "pids"),
        SPARK_LOG_DIR=str(root / "logs"),
        SPARK_IDENT_STRING="idgraph-test",
        SPARK_LOCAL_IP=LOOPBACK,
        SPARK_LOCAL_HOSTNAME="localhost",
        SPARK_DAEMON_MEMORY=DAEMON_MEMORY,
        SPARK_DAEMON_JAVA_OPTS=JVM_OPTS,
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
    )
    return env


@dataclass(frozen=True)
class Daemon:
    """One process started through spark-daemon.sh: its class and instance number name its files."""

    cls: str
    instance: int
    stop_script: tuple[str, ...]


class SparkDaemons:
    """Starts Spark daemons under `root` and stops every one of them (idempotent `stop()`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.env = spark_env(self.root)
        self.daemons: list[Daemon] = []
        self._procs: set[Proc] = set()
        atexit.register(self.stop)

    # ---- files ---------------------------------------------------------------------------
    def pid_file(self, daemon: Daemon) -> Path:
        return self.root / "pids" / f"spark-idgraph-test-{daemon.cls}-{daemon.instance}.pid"

    def pid(self, daemon: Daemon) -> int | None:
        try:
            return int(self.pid_file(daemon).read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def log(self, daemon: Daemon) -> Path:
        found = sorted((self.root / "logs").glob(f"spark-idgraph-test-{daemon.cls}-{daemon.instance}-*.out"))
        return found[-1] if found else self.root / "logs" / "missing.out"

    def log_text(self, daemon: Daemon) -> str:
        path = self.log(daemon)
        return path.read_text(errors="replace") if path.exists() else ""

    # ---- starting --------------------------------------------------------------------------
    def _start(self, launches: list[tuple[Daemon, list[str], Path]], env: dict[str, str] | None = None) -> None:
        """Run the start scripts side by side (each waits ~3 s for its JVM), then check each started."""
        running = []
        for daemon, command, cwd in launches:
            cwd.mkdir(parents=True, exist_ok=True)
            self.daemons.append(daemon)  # before starting: stop() must cover a half-started one
            running.append((daemon, subprocess.Popen(command, env=env or self.env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
        for daemon, process in running:
            output, _ = process.communicate(timeout=START_TIMEOUT_SECONDS)
            pid = self.pid(daemon)
            self._remember(pid)
            if process.returncode != 0 or pid is None or not pid_alive(pid):
                raise SparkProcessError(f"{daemon.cls} did not start: {output}\n{self._tail(daemon)}")

    def _wait_for_log(self, daemon: Daemon, pattern: str, count: int = 1) -> re.Match:
        """Block until `pattern` appears `count` times in the daemon's log; the last match."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            matches = list(re.finditer(pattern, self.log_text(daemon)))
            if len(matches) >= count:
                return matches[-1]
            pid = self.pid(daemon)
            if pid is None or not pid_alive(pid):
                raise SparkProcessError(f"{daemon.cls} exited while starting\n{self._tail(daemon)}")
            time.sleep(0.5)
        raise SparkProcessError(f"{daemon.cls}: no {pattern!r} x{count} in its log after {START_TIMEOUT_SECONDS}s\n{self._tail(daemon)}")

    def _tail(self, daemon: Daemon, lines: int = 30) -> str:
        return f"--- {self.log(daemon)} ---\n" + "\n".join(self.log_text(daemon).splitlines()[-lines:])

    def start_connect_server(self, master: str = "local[2]", driver_memory: str = "1g") -> str:
        """pyspark's Spark Connect server on a free loopback port; returns its `sc://` URL."""
        port = free_port()
        daemon = Daemon(CONNECT_CLASS, 1, (str(SBIN / "stop-connect-server.sh"),))
        command = [
            str(SBIN / "start-connect-server.sh"),
            "--master", master,
            "--driver-memory", driver_memory,
            "--driver-java-options", JVM_OPTS,
            "--conf", f"spark.connect.grpc.binding.address={LOOPBACK}",
            "--conf", f"spark.connect.grpc.binding.port={port}",
            # Fail rather than silently take the next port (where a client would not look).
            "--conf", "spark.connect.grpc.port.maxRetries=0",
            "--conf", "spark.ui.enabled=false",
        ]  # fmt: skip
        # spark-daemon.sh gives a daemon SPARK_DAEMON_MEMORY as heap, the server's driver included.
        self._start([(daemon, command, self.root / "connect")], {**self.env, "SPARK_DAEMON_MEMORY": driver_memory})
        self._wait_for_log(daemon, rf"Spark Connect server started at: .*:{port}\b")
        return f"sc://{LOOPBACK}:{port}"

    def start_cluster(self, workers: int = 2, cores: int = 1, memory: str = "1g") -> tuple[str, list[Path]]:
        """A standalone master and `workers` workers on loopback; (its `spark://` URL, the workers' folders).

        All start side by side: a worker that is up before the master retries registering.
        """
        port = free_port()
        url = f"spark://{LOOPBACK}:{port}"
        master = Daemon(MASTER_CLASS, 1, (str(SBIN / "spark-daemon.sh"), "stop", MASTER_CLASS, "1"))
        launches = [(master, [str(SBIN / "spark-daemon.sh"), "start", MASTER_CLASS, "1", "--host", LOOPBACK, "--port", str(port), "--webui-port", "0"], self.root / "master")]
        for instance in range(1, workers + 1):
            daemon = Daemon(WORKER_CLASS, instance, (str(SBIN / "spark-daemon.sh"), "stop", WORKER_CLASS, str(instance)))
            work = self.root / f"worker-{instance}"
            command = [
                str(SBIN / "spark-daemon.sh"), "start", WORKER_CLASS, str(instance),
                "--host", LOOPBACK, "--webui-port", "0",
                "--cores", str(cores), "--memory", memory, "--work-dir", str(work),
                url,
            ]  # fmt: skip
            launches.append((daemon, command, work))
        self._start(launches)
        self._wait_for_log(master, rf"Starting Spark master at {re.escape(url)}")
        self._wait_for_log(master, r"Registering worker", count=workers)
        return url, [cwd for _, _, cwd in launches[1:]]

    # ---- stopping --------------------------------------------------------------------------
    def _remember(self, pid: int | None) -> None:
        proc = Proc.of(pid) if pid is not None else None
        if proc is not None:
            self._procs.add(proc)

    def leftovers(self) -> list[int]:
        """Pids still alive that this object started or that work inside its folder."""
        for pid in self._pids_inside_root():
            self._remember(pid)
        return sorted(p.pid for p in self._procs if p.alive())

    def _pids_inside_root(self) -> list[int]:
        root = str(self.root.resolve())
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                cwd = os.readlink(proc / "cwd")
            except OSError:
                continue
            if cwd == root or cwd.startswith(root + os.sep):
                found.append(int(proc.name))
        return found

    def stop(self) -> None:
        """Stop every daemon (newest first) by its script, then kill by pid whatever is left."""
        for daemon in reversed(self.daemons):
            pid = self.pid(daemon)
            self._remember(pid)
            if pid is not None and pid_alive(pid):
                try:
                    subprocess.run(list(daemon.stop_script), env=self.env, capture_output=True, timeout=STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    pass  # killed by pid below
        self.daemons.clear()
        for pid in self._pids_inside_root():
            self._remember(pid)
        _terminate(self._procs)


def _terminate(procs: set[Proc]) -> None:
    """SIGTERM, wait, then SIGKILL each process still alive (and still the one first seen)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in procs if p.alive()]
        for proc in alive:
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while any(p.alive() for p in alive) and time.monotonic() < deadline:
            time.sleep(0.2)
