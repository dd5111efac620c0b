"""`idgraph profile DIR`: compare a run's configured and actual distributions (engine.profile)."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.profile import profile
from engine.profile_report import report_html, report_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="DIR", help="a folder written by `idgraph generate`")
    parser.add_argument("--html", metavar="FILE", help="also write an HTML report with plots")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")


def run(args: argparse.Namespace) -> int:
    report = profile(args.out)
    print(report_text(report))
    if args.json:
        Path(args.json).write_text(report.to_json())
    if args.html:
        Path(args.html).write_text(report_html(report), encoding="utf-8")
    return 0 if report.passed else 1
