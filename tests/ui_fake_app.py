"""The launch form served over HTTP with `tests/ui_fake_worker.py` as its worker: the app's real
page, queue, runner and handlers, no Spark (tests/test_reliability_load.py drives it with
gradio_client).

    python tests/ui_fake_app.py PORT STATE_DIR OUT_DIR MAX_CONCURRENT

Run it with PYTHONPATH set to the checkout under test. It prints the `ui` package it
imported, so a test can check that it serves this checkout's code, not an installed copy.
"""

from __future__ import annotations

import sys
from pathlib import Path

FAKE_WORKER = [sys.executable, str(Path(__file__).with_name("ui_fake_worker.py"))]


def main(port: str, state: str, out: str, max_concurrent: str) -> int:
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
