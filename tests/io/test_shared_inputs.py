"""Every WARC / WET / JSONL file in ../shared/data, malformed ones included, through a real pipeline run.

For each file: read = kept + rejected + unreadable, checked against the catalog's ``runs`` row AND
against the Parquet files themselves, and every unreadable row names its file and offset.

WAT files (``*.warc.wat.gz``) hold metadata records, not documents: their names match no input
format, so a directory walk leaves them out and naming one explicitly is an ``InputError`` asking
for ``input.format``; forced to ``format="warc"`` one yields no documents (see test_warc.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from curate import Pipeline
from curate.errors import InputError
from curate.io.files import detect_format
from curate.stages.length import LengthFilter
from tests.conftest import SHARED_DATA, shared

FOLDERS = ("warc", "web_text")


def shared_files() -> list[Path]:
    files = []
    for folder in FOLDERS:
        root = SHARED_DATA / folder
        if root.is_dir():
            files += sorted(p for p in root.rglob("*") if p.is_file())
    return files


DOCUMENT_FILES = [p for p in shared_files() if detect_format(str(p)) in ("warc", "wet", "jsonl")]
WAT_FILES = [p for p in shared_files() if p.name.endswith(".wat.gz")]


def _count(pattern: Path) -> int:
    files = sorted(pattern.parent.glob(pattern.name))
    return sum(pl.scan_parquet(f).select(pl.len()).collect().item() for f in files)


def check_accounting(out: Path) -> dict:
    """The run's counts from the catalog, after checking them against the Parquet files."""
    con = duckdb.connect(str(out / "catalog.duckdb"), read_only=True)
    try:
        row = con.sql("select n_read, n_kept, n_rejected, n_unreadable from runs").fetchall()
    finally:
        con.close()
    assert len(row) == 1
    n_read, n_kept, n_rejected, n_unreadable = row[0]
    assert n_read == n_kept + n_rejected + n_unreadable
    assert _count(out / "kept" / "*.parquet") == n_kept
    assert _count(out / "rejected" / "*.parquet") == n_rejected
    unreadable = sorted((out / "_state" / "unreadable").glob("*.parquet"))
    bad = pl.concat([pl.read_parquet(f) for f in unreadable]) if unreadable else pl.DataFrame()
    assert bad.height == n_unreadable
    if bad.height:
        assert bad["file"].is_not_null().all() and (bad["file"] != "").all()
        assert bad["offset"].is_not_null().all()
        assert bad["error"].is_not_null().all()
    if n_rejected:
        rejected = pl.read_parquet(out / "rejected" / "*.parquet")
        assert rejected["reason"].is_not_null().all()
    return {"read": n_read, "kept": n_kept, "rejected": n_rejected, "unreadable": n_unreadable, "bad": bad}


def test_shared_data_has_inputs_to_check():
    shared("warc")
    assert len(DOCUMENT_FILES) >= 20
    assert any("malformed" in str(p) for p in DOCUMENT_FILES)


@pytest.mark.parametrize("path", DOCUMENT_FILES, ids=lambda p: p.name)
def test_every_record_is_accounted_for(path, tmp_path):
    summary = Pipeline([LengthFilter()]).run(input=str(path), output=tmp_path / "out")
    counts = check_accounting(tmp_path / "out")
    assert (summary.n_read, summary.n_kept, summary.n_rejected, summary.n_unreadable) == (
        counts["read"], counts["kept"], counts["rejected"], counts["unreadable"]
    )
    if "malformed" not in str(path):
        assert counts["unreadable"] == 0
        assert counts["kept"] > 0
    if counts["unreadable"]:
        assert (counts["bad"]["file"] == path.name).all()


def test_malformed_folder_as_one_run_reports_each_damage_by_file_and_offset(tmp_path):
    folder = shared("warc", "malformed")
    Pipeline([LengthFilter()]).run(input=str(folder), output=tmp_path / "out")
    counts = check_accounting(tmp_path / "out")
    assert counts["unreadable"] == 10
    where = set(zip(counts["bad"]["file"], counts["bad"]["offset"], strict=True))
    assert ("ccscalatools_fragment2_no_header.wet.gz", 0) in where
    assert ("resiliparse_clipped.warc.gz", 0) in where
    assert ("ccscalatools_appended_zip_fragment_unexpected_eof.wet.gz", 129270) in where


def test_whole_warc_folder_mixes_warc_and_wet_and_leaves_wat_out(tmp_path):
    folder = shared("warc")
    summary = Pipeline([LengthFilter()]).run(input=str(folder), output=tmp_path / "out")
    counts = check_accounting(tmp_path / "out")
    assert summary.shards == len([p for p in DOCUMENT_FILES if folder in p.parents])
    con = duckdb.connect(str(tmp_path / "out" / "catalog.duckdb"), read_only=True)
    sources = {s.split(":")[0] for (s,) in con.sql("select source from docs").fetchall()}
    con.close()
    assert not any(s.endswith(".wat.gz") for s in sources)
    assert any(s.endswith(".wet.gz") for s in sources) and any(s.endswith(".warc.gz") for s in sources)
    assert counts["kept"] > 100


@pytest.mark.parametrize("path", WAT_FILES, ids=lambda p: p.name)
def test_wat_file_named_explicitly_is_a_clear_error(path, tmp_path):
    with pytest.raises(InputError, match="cannot tell the format"):
        Pipeline([LengthFilter()]).run(input=str(path), output=tmp_path / "out")
