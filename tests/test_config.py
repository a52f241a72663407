"""Pipeline files: every mistake is an error naming the key, before anything runs."""

from __future__ import annotations

import pytest

from curate.config import load_config, parse_config
from curate.errors import ConfigError
from curate.pipeline import Pipeline


def test_valid_config_with_inline_stage_params():
    cfg = parse_config({"name": "x", "stages": [{"type": "length", "min_chars": 5}, "length"]})
    assert cfg.stages[0].params == {"min_chars": 5}
    assert cfg.stages[1].type == "length"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"stagez": []}, "stagez: unknown key"),
        ({"batch_size": "lots"}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"input": {"format": "csv"}}, "input.format"),
        ({"input": {"layout": "common-crawl"}}, "unknown layout"),
        ({"input": {"pathz": ["a"]}}, "input.pathz: unknown key"),
        ({"stages": [{"type": "no_such_stage"}]}, "unknown stage type 'no_such_stage'"),
        ({"stages": [{"type": "length", "min_char": 3}]}, "stages[0] length: unknown parameter 'min_char'"),
        ({"stages": [{"type": "length", "min_chars": "three"}]}, "parameter 'min_chars'"),
    ],
)
def test_bad_configs_name_the_key(data, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(data, source="p.yaml")
    assert message in str(exc.value)


def test_bad_value_caught_by_the_stage_is_a_config_error():
    with pytest.raises(ConfigError, match="min_chars"):
        Pipeline.from_config({"stages": [{"type": "length", "min_chars": 10, "max_chars": 5}]})


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    top = tmp_path / "list.yaml"
    top.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(top)


def test_shipped_pipelines_validate():
    from tests.conftest import REPO

    for path in sorted((REPO / "pipelines").glob("*.yaml")):
        Pipeline.from_yaml(path)
