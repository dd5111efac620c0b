"""The layers hold: cli -> ui -> bench -> engine, clients use only engine's public names, no cycles.

The contracts are import-linter's, in pyproject.toml ([tool.importlinter]); this runs them.
import-linter reads import statements (at any depth in a function), so a dynamic import
by name (importlib) is checked separately: the engine has none.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--config", "pyproject.toml", "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_engine_imports_nothing_by_name_at_run_time():
    dynamic = re.compile(r"import_module\(|__import__\(|importlib\.util")
    found = [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / "engine").rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if dynamic.search(line)]
    assert found == []


def test_import_engine_needs_no_pyspark():
    probe = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pyspark', 'gradio', 'matplotlib', 'ui', 'bench', 'cli'):\n"
        "            raise ImportError(f'blocked: {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import engine\n"
        "print(len(engine.render_table('households', engine.GraphConfig(households=10))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout) > 100
