"""``curate diff``: documents one run kept and the other did not, grouped by what the other did."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from curate.cli import app
from curate.commands.diff import diff_runs
from tests.test_catalog import build_run, parquet


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("diff")
    a = build_run(base / "a", min_chars=200, max_chars=20_000, scores=False)
    b = build_run(base / "b", min_chars=500, max_chars=50_000, scores=False)
    return a, b


def _truth(kept_in: Path, other: Path) -> dict[str, int]:
    """What ``other`` did with each document ``kept_in`` kept, computed with Polars."""
    kept = parquet(kept_in, "kept").select("id")
    other_kept = parquet(other, "kept").select("id")
    rejected = parquet(other, "rejected").select("id", "reason")
    only = kept.join(other_kept, on="id", how="anti").join(rejected, on="id", how="left")
    return dict(only.group_by(pl.col("reason").fill_null("absent from run")).len().iter_rows())


def test_diff_groups_by_the_other_runs_reason(runs):
    a, b = runs
    result = diff_runs(a, b, examples=2)
    kept_a, kept_b = set(parquet(a, "kept")["id"]), set(parquet(b, "kept")["id"])
    assert (result["kept_a"], result["kept_b"]) == (len(kept_a), len(kept_b))
    assert result["kept_both"] == len(kept_a & kept_b)
    assert (result["only_a"], result["only_b"]) == (len(kept_a - kept_b), len(kept_b - kept_a)) != (0, 0)
    # raising min_chars to 500 drops A's 200..499-character documents in B as too_short ...
    assert {g["reason"]: g["n_docs"] for g in result["kept_only_in_a"]} == _truth(a, b) == {
        "too_short": len(kept_a - kept_b)}
    # ... and raising max_chars keeps documents A dropped as too_long
    assert {g["reason"]: g["n_docs"] for g in result["kept_only_in_b"]} == _truth(b, a) == {
        "too_long": len(kept_b - kept_a)}
    texts = dict(zip(parquet(a, "kept")["id"], parquet(a, "kept")["text"], strict=True))
    for g in result["kept_only_in_a"]:
        assert len(g["examples"]) == 2
        for ex in g["examples"]:
            assert ex["id"] in kept_a - kept_b and texts[ex["id"]].startswith(ex["text_start"])


def test_diff_of_a_run_with_itself_is_empty(runs):
    a, _ = runs
    result = diff_runs(a, a)
    assert result["only_a"] == result["only_b"] == 0
    assert result["kept_only_in_a"] == result["kept_only_in_b"] == []


def test_diff_command_prints_tables_and_json(runs):
    a, b = runs
    out = CliRunner().invoke(app, ["diff", str(a), str(b), "-n", "1"])
    assert out.exit_code == 0, out.output
    assert "kept by A, not by B" in out.output and "too_short" in out.output and "too_long" in out.output
    out = CliRunner().invoke(app, ["diff", str(a), str(b), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["kept_only_in_a"][0]["reason"] == "too_short"
    assert data["stages_a"] != data["stages_b"]


def test_diff_names_a_folder_that_is_not_a_run(runs, tmp_path):
    out = CliRunner().invoke(app, ["diff", str(runs[0]), str(tmp_path)])
    assert out.exit_code == 2
    assert "has no catalog.duckdb" in out.output
