"""The streaming engine end to end: output contract, accounting, resume, overwrite, workers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb
import polars as pl
import pytest

import curate
from curate import LengthFilter, Pipeline
from curate.errors import OutputError
from curate.registry import register_stage
from curate.stages.base import Rule, Stage
from tests.conftest import shared


@pytest.fixture
def web_text_dir():
    return shared("web_text")


def _rows(out, view):
    con = duckdb.connect(str(out / "catalog.duckdb"), read_only=True)
    try:
        return con.sql(f"select * from {view} order by id").pl()
    finally:
        con.close()


def test_run_writes_output_contract_and_accounts_for_every_record(tmp_path, web_text_dir):
    out = tmp_path / "out"
    summary = Pipeline([LengthFilter(min_chars=200)]).run(input=str(web_text_dir), output=out)
    assert (out / "kept").is_dir() and (out / "rejected").is_dir() and (out / "catalog.duckdb").is_file()
    kept = pl.read_parquet(out / "kept" / "*.parquet")
    rejected = pl.read_parquet(out / "rejected" / "*.parquet")
    assert summary.n_read == summary.n_kept + summary.n_rejected + summary.n_unreadable
    assert kept.height == summary.n_kept and rejected.height == summary.n_rejected
    assert set(rejected["reason"].unique()) <= {"empty_doc", "too_short", "too_long"}
    assert set(rejected["stage"].unique()) == {"length"}
    assert {"n_chars", "n_words", "n_lines"} <= set(kept.columns)
    assert (kept["n_chars_stripped"] >= 200).all()
    assert kept["id"].n_unique() == kept.height
    con = curate.open(out)
    run = con.sql("select * from runs").pl().row(0, named=True)
    assert (run["n_read"], run["n_kept"], run["n_rejected"]) == (summary.n_read, kept.height, rejected.height)
    stats = con.sql("select rule, n_in, n_dropped, n_out from stage_stats order by position, rowid").pl()
    assert stats["rule"].to_list() == ["empty_doc", "too_short", "too_long"]
    assert stats["n_in"][0] == summary.n_read - summary.n_unreadable
    assert stats["n_out"][-1] == summary.n_kept


def test_catalog_works_from_any_directory_and_after_moving(tmp_path, web_text_dir):
    out = tmp_path / "run"
    Pipeline([LengthFilter()]).run(input=str(web_text_dir), output=out)
    query = "select reason, count(*) from rejected group by 1"
    code = f"import duckdb; print(duckdb.connect({str(out / 'catalog.duckdb')!r}).sql({query!r}).fetchall())"
    res = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    moved = tmp_path / "elsewhere" / "run2"
    moved.parent.mkdir()
    shutil.move(str(out), str(moved))
    con = curate.open(moved)
    assert con.sql("select count(*) from docs").fetchall()[0][0] > 0
    assert con.sql("select root from catalog_info").fetchall()[0][0] == str(moved.resolve())


def test_rerun_refuses_without_resume_or_overwrite(tmp_path, web_text_dir):
    out = tmp_path / "out"
    pipe = Pipeline([LengthFilter()])
    first = pipe.run(input=str(web_text_dir), output=out)
    with pytest.raises(OutputError, match="--resume"):
        pipe.run(input=str(web_text_dir), output=out)
    again = pipe.run(input=str(web_text_dir), output=out, resume=True)
    assert again.shards_skipped == again.shards and again.n_kept == first.n_kept
    third = pipe.run(input=str(web_text_dir), output=out, overwrite=True)
    assert third.shards_skipped == 0 and third.n_kept == first.n_kept
    assert len(pl.read_parquet(out / "kept" / "*.parquet")) == first.n_kept
    other = tmp_path / "not-a-run"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not a curate run"):
        pipe.run(input=str(web_text_dir), output=other, overwrite=True)
    assert (other / "precious.txt").exists()


@register_stage
class CrashOnce(Stage):
    """Test stage: raises on documents of one file while a marker file exists."""

    name = "crash_once"

    def __init__(self, marker: str = "", needle: str = ""):
        self.marker, self.needle = marker, needle

    def compute(self, df):
        from pathlib import Path

        if self.marker and Path(self.marker).exists() and df.height and df["source"].str.contains(self.needle).any():
            raise RuntimeError("simulated crash")
        return df

    def rules(self):
        return [Rule("never", pl.lit(True))]


def test_crash_mid_run_then_resume_gives_the_uninterrupted_result(tmp_path, web_text_dir):
    reference = Pipeline([LengthFilter(min_chars=300)]).run(input=str(web_text_dir), output=tmp_path / "ref")
    marker = tmp_path / "crash"
    marker.write_text("1")
    stages = [LengthFilter(min_chars=300), CrashOnce(marker=str(marker), needle="oscar")]
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="simulated crash"):
        Pipeline(stages).run(input=str(web_text_dir), output=out)
    assert not list(out.rglob("*.tmp")), "a crashed shard must not leave a half-written file in place"
    marker.unlink()
    resumed = Pipeline(stages).run(input=str(web_text_dir), output=out, resume=True)
    assert resumed.shards_skipped > 0
    ref_kept = pl.read_parquet(tmp_path / "ref" / "kept" / "*.parquet").sort("id")
    kept = pl.read_parquet(out / "kept" / "*.parquet").sort("id")
    assert kept["id"].to_list() == ref_kept["id"].to_list()
    assert resumed.n_read == reference.n_read and resumed.n_rejected == reference.n_rejected


def test_workers_give_identical_output(tmp_path, web_text_dir):
    one = Pipeline([LengthFilter(min_chars=100)]).run(input=str(web_text_dir), output=tmp_path / "a")
    two = Pipeline([LengthFilter(min_chars=100)]).run(input=str(web_text_dir), output=tmp_path / "b", workers=2)
    for sub in ("kept", "rejected"):
        a = pl.read_parquet(tmp_path / "a" / sub / "*.parquet").sort("id")
        b = pl.read_parquet(tmp_path / "b" / sub / "*.parquet").sort("id")
        assert a.equals(b)
    assert one.n_kept == two.n_kept


def test_process_in_memory_matches_library_contract():
    df = pl.DataFrame({"id": ["a", "b", "c"], "text": ["", "tiny", "long enough " * 10]})
    kept, rejected = Pipeline([LengthFilter(min_chars=20)]).process(df)
    assert kept["id"].to_list() == ["c"]
    assert dict(zip(rejected["id"], rejected["reason"])) == {"a": "empty_doc", "b": "too_short"}
    signals = df.pipe(LengthFilter())
    assert signals.height == 3 and "n_words" in signals.columns


def test_read_yields_batches_from_folders(web_text_dir):
    batches = list(curate.read(str(web_text_dir), batch_size=500))
    assert all(set(b.columns) >= {"id", "text", "url", "source"} for b in batches)
    assert sum(b.height for b in batches) > 1000


def test_yaml_pipeline_reads_its_own_inputs_relative_to_the_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text("\n".join(json.dumps({"text": "x" * n}) for n in (0, 5, 500)) + "\n")
    cfg = tmp_path / "p.yaml"
    cfg.write_text("name: t\ninput:\n  paths: [data/]\nstages:\n  - type: length\n    min_chars: 10\n")
    summary = Pipeline.from_yaml(cfg).run(output=tmp_path / "out")
    assert (summary.n_read, summary.n_kept, summary.n_rejected) == (3, 1, 2)
