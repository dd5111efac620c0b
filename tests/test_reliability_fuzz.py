"""Bad input, fuzzed: the config JSON, the `generate` flags and the launch form's fields.

Every generated case is either accepted or refused with a ConfigError (or argparse's
usage error) naming the field, the value and what is valid, before any Spark work:
the cases run `engine.generate.preflight`, the very checks `generate` makes before it
starts Spark. Never another exception, never a file left behind. A few of the accepted
configs are then generated small and must pass every validation check. Hypothesis runs
derandomized, so a failure reproduces.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import GraphConfig, generate
from cli.main import build_parser, config_from_args
from engine.config import ConfigError
from engine.generate import preflight
from engine.names import quote_identifier, validate_identifier
from engine.sinks import TableSink
from engine.validate import validate
from reliability import record

FUZZ = settings(max_examples=550, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
# Tried / refused / accepted per surface, for the assertions and docs/reliability.md.
TALLY: dict[str, dict[str, int]] = {}
ACCEPTED: list[GraphConfig] = []


def tally(surface: str, outcome: str) -> None:
    counts = TALLY.setdefault(surface, {"tried": 0, "refused": 0, "accepted": 0})
    counts["tried"] += 1
    counts[outcome] += 1


def assert_names_field_value_and_expectation(exc: ConfigError) -> None:
    text = str(exc)
    # "field: got <value>; expected <what is valid>" ("field: empty; ..." for a missing value)
    value_named = text.startswith(f"{exc.field}: got ") or text.startswith(f"{exc.field}: empty;")
    assert exc.field and value_named and "; expected " in text and exc.expected, text


NASTY_TEXT = st.sampled_from(
    ["", " ", "..", "../..", "a'b", 'a"b', "a`b", "a.b", "a b", "x; DROP TABLE t; --", "`; SELECT 1; --", "é", "\n", "\t", "NaN", "1e400", "2023-02-30", "9999-99-99", "\\", "%s", "${x}"]
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2**31, 2**63, 2**63 - 1, -(2**63), 2**40, 2**40 + 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 5e-324, 0.5, 1.0]),
)
SCALARS = st.one_of(NUMBERS, NASTY_TEXT, st.text(max_size=12), st.booleans(), st.none())
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.one_of(NASTY_TEXT, st.text(max_size=6)), NUMBERS, max_size=4),
    st.fixed_dictionaries({"minimum": NUMBERS, "maximum": NUMBERS, "exponent": NUMBERS}),
    st.fixed_dictionaries({"minimum": NUMBERS}),
)
DEFAULTS = GraphConfig().to_dict()
FIELDS = list(DEFAULTS)


def _good_value(name: str, default):
    """Plausible valid-looking values for a field, so some mutated configs are accepted."""
    if isinstance(default, dict) and set(default) == {"minimum", "maximum", "exponent"}:
        return st.fixed_dictionaries({"minimum": st.integers(0, 3), "maximum": st.integers(3, 15), "exponent": st.floats(0, 10)})
    if isinstance(default, dict):
        return st.just(default)
    if isinstance(default, bool) or default is None:
        return st.sampled_from([None, 1, 4])
    if isinstance(default, int):
        return st.integers(max(1, default // 2), default * 2 + 1)
    if isinstance(default, float):
        return st.floats(0, 1)
    return st.just(default)


@st.composite
def config_documents(draw) -> str:
    data = GraphConfig().to_dict()
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(FIELDS + ["unknown_field"]))
        bad = draw(st.booleans())
        data[name] = draw(VALUES) if bad or name not in DEFAULTS else draw(_good_value(name, DEFAULTS[name]))
    text = json.dumps(data, allow_nan=True, default=str)
    cut = draw(st.sampled_from([None, None, None, None, "truncate", "not_object"]))
    if cut == "truncate":
        return text[: draw(st.integers(0, len(text) - 1))]
    if cut == "not_object":
        return json.dumps(draw(SCALARS), allow_nan=True)
    return text


@given(config_documents())
@FUZZ
def test_fuzzed_config_json_is_accepted_or_refused_by_field(text):
    try:
        config = GraphConfig.from_json(text)
    except ConfigError as exc:
        assert_names_field_value_and_expectation(exc)
        tally("config JSON", "refused")
        return
    config.validate()
    assert GraphConfig.from_json(config.to_json()) == config
    assert all(math.isfinite(v) for v in _numbers(config.to_dict()))
    tally("config JSON", "accepted")
    if config != GraphConfig() and len(ACCEPTED) < 50:
        ACCEPTED.append(config)


def _numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, float):
        yield value


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A folder with the path tricks: an existing file, a symlink to a folder, a symlink loop."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "existing_dir").mkdir()
    (root / "existing_dir" / "_manifest.json").write_text("{}")
    (root / "a_file").write_text("not a folder")
    (root / "link_to_dir").symlink_to(root / "existing_dir")
    (root / "loop").symlink_to(root / "loop")
    (root / "dangling").symlink_to(root / "nowhere")
    return root


OUT_PATHS = st.one_of(
    st.sampled_from(
        [
            "new", "existing_dir", "a_file", "a_file/out", "link_to_dir", "loop", "dangling", "..", ".", "", " ",
            "../escape_{n}", "new/../new2", "deep/er/new", "x" * 300, "a\x00b", "sp ace", "quo'te", "back`tick", "semi;colon",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
)
FLAG_VALUES = st.one_of(st.integers(-(2**70), 2**70).map(str), NASTY_TEXT, st.sampled_from(["1_000", "0x10", "1e3", "٣", " 7 ", "-0", "+5"]))


@st.composite
def generate_argv(draw, root: Path) -> list[str]:
    out = draw(OUT_PATHS).replace("{n}", str(draw(st.integers(0, 9))))
    argv = ["generate", "--out", out if out.startswith("/") else str(root / out) if out else out]
    for flag in draw(st.lists(st.sampled_from(["--households", "--seed", "--partitions", "--format", "--overwrite", "--config"]), max_size=3, unique=True)):
        if flag == "--overwrite":
            argv.append(flag)
        elif flag == "--format":
            argv += [flag, draw(st.sampled_from(["delta", "parquet", "table", "csv", ""]))]
        elif flag == "--config":
            argv += [flag, str(root / draw(st.sampled_from(["missing.json", "a_file", "existing_dir"])))]
        else:
            argv += [flag, draw(FLAG_VALUES)]
    return argv


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_fuzzed_generate_flags_are_accepted_or_refused_before_spark(sandbox):
    before = listing(sandbox)
    outside = listing(sandbox.parent)
    parser = build_parser()

    @given(generate_argv(sandbox))
    @FUZZ
    def check(argv):
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stderr(stderr):
                args = parser.parse_args(argv)
        except SystemExit as exc:
            assert exc.code == 2 and "error: argument" in stderr.getvalue(), stderr.getvalue()
            tally("generate flags", "refused")
            return
        try:
            sink = preflight(config_from_args(args), args.out, args.format, args.overwrite)
        except ConfigError as exc:
            assert_names_field_value_and_expectation(exc)
            tally("generate flags", "refused")
            return
        sink.abort()
        tally("generate flags", "accepted")

    check()
    # Accepted cases leave at most the empty parent folders of their outputs: never an
    # output, a staging folder or a lock file, and nothing outside the sandbox.
    created = [p for p in listing(sandbox) if p not in before]
    assert not [p for p in created if not (sandbox / p).is_dir() or ".staging-" in p or p.endswith(".lock")], created
    assert [p for p in listing(sandbox.parent) if p not in outside and not p.startswith(sandbox.name)] == []


UC_NAMES = st.one_of(NASTY_TEXT, st.text(max_size=20), st.sampled_from(["main", "my_schema", "a" * 300, "main.sales", "`main`", "main`; DROP", "x y", "1abc", "ok_1"]))


@given(UC_NAMES, UC_NAMES)
@FUZZ
def test_fuzzed_unity_catalog_names_are_refused_or_safely_quoted(catalog, schema):
    try:
        validate_identifier("catalog", catalog)
        validate_identifier("schema", schema)
    except ConfigError as exc:
        assert_names_field_value_and_expectation(exc)
        tally("Unity Catalog names", "refused")
        return
    # An accepted name is quoted into exactly one identifier: nothing can close the quotes.
    for name in (catalog, schema):
        quoted = quote_identifier(name, "schema")
        assert quoted.count("`") == 2 and quoted[1:-1] == name
    sink = TableSink(None, f"{catalog}.{schema}", table_names={"households": "t"})
    assert sink.full_name("households") == f"`{catalog}`.`{schema}`.`t`"
    tally("Unity Catalog names", "accepted")


def form_values():
    from ui import steps

    return steps


@st.composite
def form_cases(draw):
    steps = form_values()
    values = steps.default_values()
    values["folder"] = "FOLDER"
    for _ in range(draw(st.integers(1, 3))):
        f = draw(st.sampled_from([f for f in steps.FIELDS if f.kind != "preset"]))
        if f.kind == "weights":
            raw = draw(st.one_of(NASTY_TEXT, st.text(max_size=20), st.sampled_from(["a: 0.5, b: 0.5", "a: nan, b: 1", "a: 1e400", "a 1", "a: -1, b: 2", ":", "a: 1, a: 0"])))
        elif f.kind == "choice":
            raw = draw(st.one_of(st.sampled_from(f.choices), NASTY_TEXT))
        elif f.kind == "text" and f.name == "folder":
            raw = draw(st.sampled_from(["FOLDER", "FOLDER/sub", "FOLDER/a_file", "", "..", "\x00", "FOLDER/" + "x" * 300]))
        else:
            raw = draw(VALUES)
        values[f.name] = raw
    return values


def test_fuzzed_launch_form_fields_are_accepted_or_refused_by_field(sandbox):
    steps = form_values()

    @given(form_cases())
    @FUZZ
    def check(values):
        values = {k: (v.replace("FOLDER", str(sandbox / "form")) if isinstance(v, str) and k == "folder" else v) for k, v in values.items()}
        errors = steps.step_errors(steps.REVIEW_STEP, values, databricks_configured=False)
        if errors:
            for name, message in errors.items():
                # the form's wording is its own (ui/steps.py); it must name a field and say something
                assert name in steps.FIELD_BY_NAME and message.strip() and "Traceback" not in message, (name, message)
            tally("launch form", "refused")
        else:
            config = steps.config_from_values(values)
            config.validate()
            tally("launch form", "accepted")

    check()
    assert not [p for p in (sandbox / "form").rglob("*") if p.is_file()] if (sandbox / "form").exists() else True


def test_fuzz_totals_and_accepted_configs_generate_valid_graphs(spark, tmp_path):
    """Runs last in this file: the totals, then three accepted configs generated small."""
    total = sum(c["tried"] for c in TALLY.values())
    assert total >= 2000, TALLY
    for surface, counts in TALLY.items():
        assert counts["refused"] > 0, (surface, counts)
    record("fuzz", {"surfaces": TALLY, "tried": total, "refused": sum(c["refused"] for c in TALLY.values())})
    sample = ACCEPTED[:: max(1, len(ACCEPTED) // 3)][:3]
    assert sample, "no accepted config to generate"
    for i, config in enumerate(sample):
        small = config.replace(households=40, content_items=min(config.content_items, 200), campaigns=min(config.campaigns, 20), partitions=2)
        out = tmp_path / f"g{i}"
        generate(small, out=str(out), format="parquet", spark=spark)
        failed = [r.name for r in validate(out, spark=spark) if not r.passed]
        assert not failed, (small.to_dict(), failed)
    record("fuzz_accepted_generated", len(sample))
