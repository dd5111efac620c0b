"""The launch form under load: five sessions at once through the app's real HTTP API.

The app is `tests/ui_fake_app.py`: the real page, handlers, queue and runner served by
Gradio in a process of its own, with `tests/ui_fake_worker.py` as its worker (the worker's
protocol without Spark), so 50 launches take seconds. Five sessions, each with its own
gradio_client `Client` (its own Gradio session) in its own thread, launch runs (`/launch`),
watch them (`/runs_tick`, the Runs tab's timer) and cancel some (`/cancel`), one while
queued or just started and one while it writes. Throughout, the app process's memory is
read from /proc/<pid>/status (VmRSS, and VmHWM for the peak). The load runs once (the
`load` fixture); each test checks one property of it. Config uploads go through
`/upload_config`, the form's upload handler.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reliability import record
from ui import steps
from ui.runner import TERMINAL

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 5
LAUNCHES_PER_SESSION = 10
MAX_CONCURRENT = 2
# Seconds per table of the fake worker: a normal run takes about half a second; a "slow"
# run (its name starts with slow) would take 8 x 3 s, so it is still writing when cancelled.
FAKE_SECONDS = 0.05
SLOW_SECONDS = 3.0
# Which launch of each session is cancelled at once (queued or just started), and which
# is cancelled once it is running.
CANCEL_AT_ONCE, CANCEL_RUNNING = 3, 7
# Generous waits: the machine is shared; nothing here is a timing bound.
WAIT_SECONDS = 180
# Growth of the app's RSS from after the warm-up launches (10) to the end (after 50) that
# counts as a leak: 12 MiB over the 40 launches (0.3 MiB a launch). Before ui.page's
# bound_session_state, Gradio kept about 48 component copies a launch in each session's
# state: 17.6-17.8 MiB over the 40 (0.44 MiB a launch, still rising at launch 175). With it,
# three runs grew 9.1, 9.4 and 6.8 MiB: the sessions' state filling up to the page's size once,
# the runner's run records (about 25 KB each) and the allocator.
RSS_GROWTH_LIMIT_MIB = 12
# How the form's Launch output and the ticks carry run ids and run folders.
RUN_ID = re.compile(r"\b\d{8}t\d{6}-[0-9a-f]{6}\b")

pytestmark = pytest.mark.slow  # an app process and 50 worker processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


class FakeApp:
    """tests/ui_fake_app.py on a free port, in its own process group, importing this checkout."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state, self.out = folder / "state", folder / "out"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = folder / "app.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
        env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", IDGRAPH_FAKE_SECONDS=str(FAKE_SECONDS), IDGRAPH_FAKE_SLOW_SECONDS=str(SLOW_SECONDS))
        command = [sys.executable, str(ROOT / "tests" / "ui_fake_app.py"), str(self.port), str(self.state), str(self.out), str(MAX_CONCURRENT)]
        self.process = subprocess.Popen(command, cwd=folder, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                urllib.request.urlopen(self.url, timeout=2)
                break
            except OSError:
                time.sleep(0.25)
        else:
            raise AssertionError(f"the app did not answer in 120 s:\n{self.log.read_text()}")
        # The app must serve this checkout's ui package, not an installed copy of another.
        assert f"ui package: {ROOT / 'ui'}\n" in self.log.read_text(), self.log.read_text()[:2000]

    def rss_mib(self) -> float:
        return proc_status_kib(self.process.pid, "VmRSS") / 1024

    def peak_mib(self) -> float:
        return proc_status_kib(self.process.pid, "VmHWM") / 1024

    def runs(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in (self.state / "runs").glob("*/run.json")]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = FakeApp(tmp_path_factory.mktemp("load"))
    yield app
    app.stop()


def client(app: FakeApp):
    from gradio_client import Client

    return Client(app.url, verbose=False)


def form_values(folder: Path, purpose: str) -> list:
    values = {**steps.default_values(False, str(folder)), "households": "1000", "purpose": purpose}
    return [values[name] for name in steps.FIELD_NAMES]


# Launch's outputs: the form's message is the fifth (session, stepper, intro, upload button, message);
# the last is the Runs tab's run list. A tick's first three: run list, history, status line.
MESSAGE, RUN_LIST, STATUS = 4, -1, 2


class Session:
    """One user: own Client (Gradio session), own session id, own output folder."""

    def __init__(self, app: FakeApp, index: int, registry: dict, registry_ready: threading.Event) -> None:
        self.app, self.index = app, index
        self.id = f"load-session-{index}"
        self.folder = app.out / self.id
        self.client = client(app)
        self.registry, self.registry_ready = registry, registry_ready
        self.launched: dict[str, str] = {}  # run id -> purpose
        self.statuses: dict[str, str] = {}  # run id -> last status the run list showed
        self.seen_ids: set[str] = set()  # every run id any response to this session named
        self.seen_folders: set[str] = set()  # every run folder of another session a response named
        self.queue_positions: list[str] = []  # status lines that showed a queue position
        self.cancel_messages: dict[str, str] = {}
        self.cross: list[str] = []  # what happened when this session reached for another's run

    def _observe(self, response) -> None:
        text = json.dumps(response, default=str)
        self.seen_ids.update(RUN_ID.findall(text))
        others = {f"load-session-{i}" for i in range(SESSIONS)} - {self.id}
        self.seen_folders.update(name for name in others if name in text)
        run_list = response[RUN_LIST] if len(response) > 10 else response[0]
        if isinstance(run_list, dict) and "choices" in run_list:
            for label, run_id in run_list["choices"]:
                self.statuses[run_id] = label.rsplit(" · ", 1)[-1]
        status = response[STATUS] if len(response) <= 10 else None
        if isinstance(status, str) and "in the queue" in status:
            self.queue_positions.append(status)

    def launch(self, purpose: str) -> str:
        out = self.client.predict(self.id, *form_values(self.folder, purpose), api_name="/launch")
        assert out[MESSAGE].startswith(f"Launched run `{purpose}_1k_"), out[MESSAGE]
        run_id = out[RUN_LIST]["value"]
        self.launched[run_id] = purpose
        self._observe(out)
        return run_id

    def tick(self, run_id: str | None = None) -> None:
        self._observe(self.client.predict(self.id, run_id, api_name="/runs_tick"))

    def wait_for(self, predicate, what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not predicate():
            assert time.monotonic() < deadline, f"{self.id}: {what} not seen in {WAIT_SECONDS} s: {self.statuses}"
            time.sleep(0.2)
            self.tick()

    def cancel(self, run_id: str) -> None:
        self.cancel_messages[run_id] = self.client.predict(self.id, run_id, api_name="/cancel")

    def reach_for_another_sessions_run(self) -> None:
        """Ask for a run of the next session by its id, to watch and to cancel it: both must be refused."""
        from gradio_client.exceptions import AppError

        self.registry_ready.wait(WAIT_SECONDS)
        foreign = self.registry[(self.index + 1) % SESSIONS]
        for api in ("/runs_tick", "/cancel"):
            try:
                response = self.client.predict(self.id, foreign, api_name=api)
            except AppError as exc:  # Gradio refuses a run id the session's run list never offered
                self.cross.append(f"{api}: refused ({str(exc)[:80]})")
                continue
            self._observe(response)
            self.cross.append(f"{api}: answered {str(response)[:200]}")

    def run(self, launches: list[int]) -> None:
        """Launch, watch, cancel: the run list and status after every launch, as the Runs tab's timer does."""
        for i in range(LAUNCHES_PER_SESSION):
            purpose = f"slow{i}" if i in (CANCEL_AT_ONCE, CANCEL_RUNNING) else f"load{i}"
            run_id = self.launch(purpose)
            launches.append(run_id)
            if i == 0:
                self.registry[self.index] = run_id
                if len(self.registry) == SESSIONS:
                    self.registry_ready.set()
            if i == CANCEL_AT_ONCE:
                self.cancel(run_id)
            elif i == CANCEL_RUNNING:
                self.wait_for(lambda: self.statuses.get(run_id) == "running", f"run {run_id} running")
                self.cancel(run_id)
            self.tick(run_id)
        self.reach_for_another_sessions_run()
        self.wait_for(lambda: all(self.statuses.get(r) in TERMINAL for r in self.launched), "every run ended")


@pytest.fixture(scope="module")
def load(app):
    """Five sessions launching 10 runs each at once; the app's RSS sampled every 0.2 s."""
    launches: list[str] = []
    samples: list[tuple[int, float]] = []  # (launches so far, RSS MiB)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            samples.append((len(launches), app.rss_mib()))

    start_rss = app.rss_mib()
    registry: dict[int, str] = {}
    ready = threading.Event()
    sessions = [Session(app, i, registry, ready) for i in range(SESSIONS)]
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    with ThreadPoolExecutor(SESSIONS) as pool:
        for future in [pool.submit(s.run, launches) for s in sessions]:
            future.result()
    seconds = time.monotonic() - started
    time.sleep(2)  # the last workers' reader threads end; what is measured is the app at rest
    done.set()
    sampler.join()
    return {"sessions": sessions, "launches": launches, "samples": samples, "start_rss": start_rss, "end_rss": app.rss_mib(), "peak_rss": app.peak_mib(), "seconds": seconds, "runs": app.runs()}


def intervals(runs: list[dict]) -> list[tuple[float, float]]:
    return [(r["started"], r["ended"]) for r in runs if r.get("started")]


def active_at(moment: float, spans: list[tuple[float, float]]) -> int:
    return sum(1 for start, end in spans if start <= moment < end)


def test_five_sessions_launch_watch_and_cancel_and_every_run_ends(app, load):
    runs = {r["run_id"]: r for r in load["runs"]}
    assert len(load["launches"]) == SESSIONS * LAUNCHES_PER_SESSION == len(runs)
    for session in load["sessions"]:
        for run_id, purpose in session.launched.items():
            run = runs[run_id]
            assert run["session_id"] == session.id
            expected = "cancelled" if purpose.startswith("slow") else "succeeded"
            assert run["status"] == expected, (purpose, run["status"], run.get("error"))
            assert session.statuses[run_id] == expected  # what the session's run list showed
            out = Path(run["spec"]["out"])
            assert out.parent == session.folder
            assert (out / "_manifest.json").is_file() == (expected == "succeeded")
            if expected == "cancelled":
                assert session.cancel_messages[run_id].startswith("Cancelling run"), session.cancel_messages[run_id]
        (mid_write,) = [r for r, p in session.launched.items() if p == f"slow{CANCEL_RUNNING}"]
        assert runs[mid_write].get("started") and runs[mid_write]["tables"], "the run cancelled while running had started writing"
        # Nothing half-written: only the succeeded runs' folders, no staging folder left.
        written = sorted(p.name for p in session.folder.iterdir())
        assert written == sorted(Path(runs[r]["spec"]["out"]).name for r, p in session.launched.items() if not p.startswith("slow"))


def test_sessions_never_see_each_others_runs_or_files(load):
    for session in load["sessions"]:
        assert session.seen_ids == set(session.launched), f"{session.id} was shown runs of another session: {session.seen_ids - set(session.launched)}"
        assert session.seen_folders == set(), f"{session.id} was shown the folders of {session.seen_folders}"
        # Its reach for another session's run (watch and cancel by that run's id) was refused.
        assert len(session.cross) == 2 and all(": refused (" in line for line in session.cross), session.cross
    # ... and left that run alone: the first run of every session succeeded.
    runs = {r["run_id"]: r for r in load["runs"]}
    assert all(runs[s.registry[s.index]]["status"] == "succeeded" for s in load["sessions"])


def test_the_queue_holds_runs_behind_the_allowed_number_of_active_runs(load):
    runs = load["runs"]
    assert {r["status"] for r in runs} <= set(TERMINAL)
    spans = intervals(runs)
    most = max(active_at(start, spans) for start, _ in spans)
    assert most <= MAX_CONCURRENT, f"{most} runs were active at once; the app allows {MAX_CONCURRENT}"
    # The queue was used: launches arrived while the allowed number of runs were active, and waited.
    waited = [r for r in runs if active_at(r["submitted"], spans) >= MAX_CONCURRENT]
    assert waited, "no launch ever found the allowed number of runs active: the queue was not exercised"
    assert any(s.queue_positions for s in load["sessions"]), "no session's status line ever showed a queue position"
    cancelled_queued = sum(1 for r in runs if r["status"] == "cancelled" and not r.get("started"))
    record_load(load, most=most, waited=len(waited), cancelled_queued=cancelled_queued)


def test_app_memory_stays_flat_over_50_launches(load):
    samples = load["samples"]
    warm = [rss for launched, rss in samples if launched >= 2 * SESSIONS]
    assert warm, "no memory sample after the warm-up launches"
    baseline = warm[0]
    growth = load["end_rss"] - baseline
    record_load(load, baseline=baseline, growth=growth)
    assert growth < RSS_GROWTH_LIMIT_MIB, f"the app grew {growth:.1f} MiB over {len(load['launches'])} launches (from {baseline:.1f} MiB)"


_LOAD_FIGURES: dict = {}


def record_load(load, **figures) -> None:
    """One `ui_load` figure for docs/reliability.md, filled in by the tests that measure it."""
    _LOAD_FIGURES.update(figures)
    runs = load["runs"]
    record(
        "ui_load",
        {
            "sessions": SESSIONS,
            "launches": len(load["launches"]),
            "max_concurrent": MAX_CONCURRENT,
            "succeeded": sum(r["status"] == "succeeded" for r in runs),
            "cancelled": sum(r["status"] == "cancelled" for r in runs),
            "seconds": round(load["seconds"], 1),
            "rss_start_mib": round(load["start_rss"], 1),
            "rss_end_mib": round(load["end_rss"], 1),
            "rss_peak_mib": round(load["peak_rss"], 1),
            **{k: round(v, 1) if isinstance(v, float) else v for k, v in _LOAD_FIGURES.items()},
        },
    )


# ---- config uploads --------------------------------------------------------------------------
def huge_config() -> bytes:
    """A valid config padded to one byte over the limit: refused for its size alone."""
    body = b'{"households": 10}'
    return body[:-1] + b" " * (steps.CONFIG_FILE_LIMIT_BYTES + 1 - len(body)) + b"}"


BAD_UPLOADS = {
    "not-json.json": (b"households: 10\nseed: 3\n", "This file is not JSON, so not an idgraph config."),
    "not-text.json": (b"\xff\xfe\x00{\x00\x81\x9c binary", "This file is not text (UTF-8), so not an idgraph config."),
    "a-list.json": (b'[{"households": 10}]', "This file is not an idgraph config"),
    "package.json": (json.dumps({"name": "x", "version": "1.0.0", "scripts": {"test": "jest"}, "dependencies": {}}).encode(), "This file is not an idgraph config"),
    "huge.json": (huge_config(), f"over the {steps.CONFIG_FILE_LIMIT_BYTES:,}-byte (1 MiB) limit of a config file"),
}


def test_bad_or_huge_config_uploads_are_refused_with_a_message_and_no_traceback(app, tmp_path):
    from gradio_client import handle_file

    uploader = client(app)
    values = form_values(tmp_path / "out", "upload")
    before = len(app.log_text())
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"households": 4321, "seed": 5}))
    out = uploader.predict("uploader", handle_file(str(good)), *values, api_name="/upload_config")
    assert out[MESSAGE].startswith("Loaded good.json."), out[MESSAGE]  # the control: a real config is taken
    refused = {}
    for name, (content, why) in BAD_UPLOADS.items():
        path = tmp_path / name
        path.write_bytes(content)
        out = uploader.predict("uploader", handle_file(str(path)), *values, api_name="/upload_config")
        refused[name] = out[MESSAGE]
        assert out[MESSAGE].startswith(f"⚠ {name}: ") and why in out[MESSAGE], (name, out[MESSAGE])
    log = app.log_text()[before:]
    assert "Traceback" not in log and "Error" not in log, log[-3000:]
    assert len(huge_config()) == steps.CONFIG_FILE_LIMIT_BYTES + 1
    record("ui_uploads", {"refused": len(refused), "cases": sorted(refused), "limit_bytes": steps.CONFIG_FILE_LIMIT_BYTES, "messages": refused})
