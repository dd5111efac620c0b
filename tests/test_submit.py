"""`python -m cli.submit` refuses bad session input by name, before any Spark starts.

The runs themselves (Spark Connect, a standalone cluster) are in tests/test_distributed.py.
"""

from __future__ import annotations

import pytest

from engine.config import ConfigError
from cli.submit import build_session, main, parse_conf


def test_conf_pairs_become_a_dict_and_keep_equals_signs_in_values():
    assert parse_conf(["spark.executor.memory=2g", "spark.driver.extraJavaOptions=-Da=b"]) == {
        "spark.executor.memory": "2g",
        "spark.driver.extraJavaOptions": "-Da=b",
    }


@pytest.mark.parametrize("pair", ["spark.executor.memory", "=2g", " =x"])
def test_conf_without_a_key_and_value_is_refused(pair):
    with pytest.raises(ConfigError) as error:
        parse_conf([pair])
    assert (error.value.field, error.value.value) == ("--conf", pair)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"master": "http://host:7077"}, "--master"),
        ({"remote": "host:15002"}, "--remote"),
        ({"master": "spark://h:7077", "remote": "sc://h:15002"}, "--remote"),
    ],
)
def test_bad_master_or_remote_url_is_refused_before_a_session_starts(kwargs, field):
    with pytest.raises(ConfigError) as error:
        build_session(**kwargs)
    assert error.value.field == field


def test_bad_input_exits_2_naming_the_flag(capsys, tmp_path):
    code = main(["--out", str(tmp_path / "out"), "--master", "nowhere", "--households", "10"])

    assert code == 2
    assert "--master" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_master_and_remote_together_are_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["--out", str(tmp_path), "--master", "local[1]", "--remote", "sc://h:1"])
    assert exit_.value.code == 2
