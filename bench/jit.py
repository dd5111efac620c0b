"""Plain JVM against flagged JVM, paired write by write: `python -m bench.jit`.

Issue 11's bar: in a JVM started with no options (as Databricks serverless gives), every table
runs at >= 0.9 of the rows/s it gets in a JVM started with `-XX:-DontCompileHugeMethods`.
Two processes measured one after the other see different machines when the machine is
shared (its load moved rows/s by 2-4x within minutes here), so this tool keeps both JVMs
alive at once and lets only one write at a time: each table is written by one side, then
at once by the other (ABBA order over the passes), after warm passes on both. Each pair of
writes saw nearly the same machine, so the geometric mean of the per-pass ratios (with a
bootstrap interval, `bench.stats`) isolates the JIT flag. Both sides run the same code
(`engine.builders`, each table's query analysed afresh at every write, written to the
`noop` sink unless --format says otherwise) with the same Spark settings; their JVMs
differ only in that one flag. Each side also reports the largest method Spark compiled
in its JVM, whole-stage or not (`bench.probes.generated_code_sizes`).

    python -m bench.jit --households 300000 --passes 6 [--warm 1] [--cores 2] [--out FILE.json]

The ratio printed per table is plain rows/s over flagged rows/s (1.0: the flag changes
nothing), on wall seconds and on the JVM's CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .stats import paired_ratio
from .worker import JIT_JVM_OPTIONS

REPO = Path(__file__).resolve().parent.parent
SIDES = ("plain", "flagged")


def serve(jvm: str, households: int, cores: int, seed: int, format: str, out: Path) -> int:
    """One side: a session whose JVM has only JIT_JVM_OPTIONS[jvm]; then, per line on stdin,
    `write <table>` (a JSON line back: wall and JVM CPU seconds, rows) or `quit` (the
    generated-code sizes and the JVM's options)."""
    from engine import GraphConfig, builders, local_session

    from .probes import Counters, generated_code_sizes

    spark = local_session(cores=cores, app_name=f"idgraph-jit-{jvm}", java_options=JIT_JVM_OPTIONS[jvm])
    counters = Counters(spark)
    makers = builders(spark, GraphConfig(households=households, seed=seed))
    print(json.dumps({"ready": jvm}), flush=True)
    for line in sys.stdin:
        command, _, table = line.strip().partition(" ")
        if command != "write":
            break
        before = counters.snapshot()
        started = time.perf_counter()
        df = makers[table]()  # analysed afresh at every write, as `generate` analyses it once per run
        writer = df.write.mode("overwrite")
        if format == "noop":
            writer.format("noop").save()
        else:
            writer.format(format).save(str(out / jvm / table))
        wall = time.perf_counter() - started
        usage = counters.snapshot().minus(before)
        print(json.dumps({"wall_seconds": wall, "jvm_cpu_seconds": usage.get("jvm_cpu_seconds")}), flush=True)
    code = generated_code_sizes(spark)
    arguments = list(spark._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    print(json.dumps({"generated_code": code.to_dict() if code else None, "jvm_options": arguments}), flush=True)
    return 0


class Side:
    """A serving side's process, started and talked to over its stdin/stdout (JSON lines)."""

    def __init__(self, jvm: str, args: argparse.Namespace) -> None:
        cmd = [sys.executable, "-m", "bench.jit", "--serve", jvm, "--households", str(args.households), "--cores", str(args.cores),
               "--seed", str(args.seed), "--format", args.format, "--work-dir", str(args.work_dir)]
        self.jvm = jvm
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.answer()  # ready

    def answer(self) -> dict[str, Any]:
        for line in self.proc.stdout:
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"the {self.jvm} JVM's process ended (status {self.proc.wait()})")

    def ask(self, line: str) -> dict[str, Any]:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.answer()

    def finish(self) -> dict[str, Any]:
        found = self.ask("quit")
        self.proc.wait(timeout=120)
        return found


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """Warm passes on both sides, then `passes` paired passes (ABBA); per table, the ratios."""
    from engine import TABLES, write_rank

    tables = sorted(TABLES, key=write_rank)
    sides: dict[str, Side] = {}
    try:
        for jvm in SIDES:  # started one at a time: only one JVM busy at once
            sides[jvm] = Side(jvm, args)
        for _ in range(args.warm):
            for table in tables:
                for jvm in SIDES:
                    sides[jvm].ask(f"write {table}")
        writes: dict[str, dict[str, list[dict[str, Any]]]] = {t: {jvm: [] for jvm in SIDES} for t in tables}
        for number in range(args.passes):
            order = SIDES if number % 2 == 0 else SIDES[::-1]
            for table in tables:
                for jvm in order:
                    writes[table][jvm].append(sides[jvm].ask(f"write {table}"))
        finished = {jvm: side.finish() for jvm, side in sides.items()}
    finally:
        for side in sides.values():
            if side.proc.poll() is None:
                side.proc.kill()
    per_table = {}
    for table, done in writes.items():
        figures = {}
        for measure in ("wall_seconds", "jvm_cpu_seconds"):
            # plain rows/s over flagged rows/s = flagged seconds / plain seconds, pass by pass
            figures[measure] = paired_ratio([w[measure] for w in done["flagged"]], [w[measure] for w in done["plain"]])
        per_table[table] = {"writes": done, "ratio": figures["wall_seconds"], "cpu_ratio": figures["jvm_cpu_seconds"]}
    return {"households": args.households, "cores": args.cores, "seed": args.seed, "format": args.format, "warm": args.warm,
            "passes": args.passes, "jvm_options": {jvm: JIT_JVM_OPTIONS[jvm] for jvm in SIDES}, "sides": finished, "tables": per_table}


def markdown(found: dict[str, Any]) -> str:
    lines = [f"Plain JVM / flagged JVM (-XX:-DontCompileHugeMethods), {found['households']:,} households, local[{found['cores']}], "
             f"{found['format']} sink, {found['passes']} paired passes after {found['warm']} warm: plain rows/s over flagged rows/s, "
             "geometric mean of the per-pass ratios [95% bootstrap interval].", "",
             "| table | plain s (median) | flagged s (median) | wall ratio | JVM CPU ratio |", "|---|---:|---:|---:|---:|"]
    for table, stats in found["tables"].items():
        median = {jvm: sorted(w["wall_seconds"] for w in stats["writes"][jvm])[len(stats["writes"][jvm]) // 2] for jvm in SIDES}
        lines.append(f"| {table} | {median['plain']:.3f} | {median['flagged']:.3f} | {_ratio(stats['ratio'])} | {_ratio(stats['cpu_ratio'])} |")
    for jvm, side in found["sides"].items():
        code = side.get("generated_code") or {}
        lines.append(f"\n{jvm} JVM: largest method Spark compiled {code.get('largest_method')} bytes of {code.get('methods')} methods"
                     f" ({'exact' if code.get('exact') else 'sampled'}); JIT options: {[o for o in side['jvm_options'] if o.startswith('-XX')] or 'none'}")
    return "\n".join(lines) + "\n"


def _ratio(figure: dict[str, Any]) -> str:
    if figure["ratio"] is None:
        return "–"
    ci = figure.get("ci")
    return f"{figure['ratio']:.2f}" + (f" [{ci[0]:.2f}–{ci[1]:.2f}]" if ci else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.jit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--passes", type=int, default=6, help="paired timed passes (default 6)")
    parser.add_argument("--warm", type=int, default=1, help="untimed passes per side first (default 1)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", default="noop", help="noop (default) or a Spark file format such as parquet")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/idgraph-jit"), help="where a file format writes")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    parser.add_argument("--serve", choices=SIDES, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.households, args.cores, args.seed, args.format, args.work_dir)
    if args.passes < 2 or args.warm < 0:
        parser.error("--passes needs at least 2 (a ratio's interval), --warm at least 0")
    found = compare(args)
    if args.out:
        args.out.write_text(json.dumps(found, indent=1))
    print(markdown(found), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
