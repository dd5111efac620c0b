"""The launch form served over HTTP with `tests/ui_fake_worker.py` as its worker: the app's real
page, queue, runner and handlers, no Spark (tests/test_reliability_load.py drives it with
gradio_client).

    python tests/ui_fake_app.py PORT STATE_DIR OUT_DIR MAX_CONCURRENT

Run it with PYTHONPATH set to the checkout under test. It prints the `ui` package it
imported, so a test can check that it serves this checkout's code, not an installed copy.

With IDGRAPH_TRACEMALLOC=FILE set, the first SIGUSR1 starts tracing allocations (tracemalloc,
IDGRAPH_TRACEMALLOC_FRAMES frames, 3 by default; from the start it would make Gradio's import too slow) and takes a baseline; every
later one takes a snapshot (after a full gc) and writes to FILE the allocation sites that grew
most since the baseline, and the live objects whose count by type grew most.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FAKE_WORKER = [sys.executable, str(Path(__file__).with_name("ui_fake_worker.py"))]


def trace_allocations(path: str) -> None:
    """SIGUSR1 writes to `path` what grew since the first SIGUSR1 (sites and object counts)."""
    import collections
    import gc
    import signal
    import threading
    import tracemalloc

    first: dict = {}
    lock = threading.Lock()

    def counts() -> collections.Counter:
        return collections.Counter(type(o).__qualname__ for o in gc.get_objects())

    def dump() -> None:
        with lock:
            if not tracemalloc.is_tracing():
                tracemalloc.start(int(os.environ.get("IDGRAPH_TRACEMALLOC_FRAMES", "3")))
            gc.collect()
            snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
            by_type = counts()
            if not first:
                first.update(snapshot=snapshot, counts=by_type, n=0)
            first["n"] += 1
            with open(path, "a") as out:
                total = sum(s.size for s in snapshot.statistics("filename"))
                out.write(f"==== snapshot {first['n']}: traced {total / 2**20:.1f} MiB\n")
                for key in ("lineno", "traceback"):
                    out.write(f"--- top growth by {key}\n")
                    for stat in snapshot.compare_to(first["snapshot"], key)[: 25 if key == "lineno" else 8]:
                        out.write(f"{stat.size_diff / 1024:+10.1f} KiB {stat.count_diff:+7d} blocks  {stat.traceback.format()[-1].strip() if key == 'lineno' else ''}\n")
                        if key == "traceback":
                            out.write("".join(f"      {line}\n" for line in stat.traceback.format()))
                out.write("--- object counts by type, growth\n")
                for name, grown in (by_type - first["counts"]).most_common(30):
                    out.write(f"{grown:+8d} {name} (now {by_type[name]})\n")

    signal.signal(signal.SIGUSR1, lambda signum, frame: threading.Thread(target=dump, daemon=True).start())


def main(port: str, state: str, out: str, max_concurrent: str) -> int:
    if os.environ.get("IDGRAPH_TRACEMALLOC"):
        trace_allocations(os.environ["IDGRAPH_TRACEMALLOC"])
    import ui
    from ui.benchmarks import BenchmarkRun
    from ui.context import AppContext
    from ui.jobs import WorkspaceSettings
    from ui.page import serve
    from ui.runner import Runner
    from ui.state import LocalStore

    print(f"ui package: {Path(ui.__file__).resolve().parent}", flush=True)
    store = LocalStore(Path(state))
    runner = Runner(store, max_concurrent=int(max_concurrent), command=FAKE_WORKER)
    ctx = AppContext(store, runner, WorkspaceSettings(), BenchmarkRun(), out_root=out, bench_results=Path(state) / "bench")
    return serve(ctx, "127.0.0.1", int(port))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
