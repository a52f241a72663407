"""Parquet reader: field mapping, nested fields, derived ids, corrupt files."""

from __future__ import annotations

import polars as pl

from curate.io.readers.base import FieldMap
from curate.io.readers.parquet import ParquetReader


def test_reads_in_batches_and_maps_nested_fields(tmp_path):
    n = 2_500
    df = pl.DataFrame({
        "text": [f"document number {i}" for i in range(n)],
        "metadata": [{"url": f"http://x/{i}", "lang": "en"} for i in range(n)],
    })
    path = tmp_path / "docs.parquet"
    df.write_parquet(path, row_group_size=1000)
    batches = list(ParquetReader(fields=FieldMap.for_layout("dolma"), batch_size=1000).read(str(path), "docs"))
    out = pl.concat(batches)
    assert [b.height for b in batches] == [1000, 1000, 500]
    assert out["url"].to_list() == [f"http://x/{i}" for i in range(n)]
    assert out["id"][7] == "docs/7" and out["source"][7] == "docs:7"


def test_null_text_is_unreadable_and_missing_text_column_is_an_error(tmp_path):
    path = tmp_path / "n.parquet"
    pl.DataFrame({"text": ["a", None, "c"], "id": ["1", "2", "3"]}).write_parquet(path)
    bad = []
    out = pl.concat(list(ParquetReader(on_unreadable=bad.append).read(str(path))))
    assert out["id"].to_list() == ["1", "3"]
    assert [u.record for u in bad] == [1]
    other = tmp_path / "o.parquet"
    pl.DataFrame({"content": ["a"]}).write_parquet(other)
    try:
        list(ParquetReader().read(str(other)))
    except ValueError as exc:
        assert "content" in str(exc) and "text_field" in str(exc)
    else:
        raise AssertionError("expected a clear error for a missing text column")


def test_corrupt_file_is_reported_not_raised(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    bad = []
    assert list(ParquetReader(on_unreadable=bad.append).read(str(path), "bad")) == []
    assert len(bad) == 1 and bad[0].file == "bad"
