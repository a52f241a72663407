"""JSONL reader: real Dolma/OSCAR/RedPajama files, layouts, and every kind of broken line."""

from __future__ import annotations

import gzip
import json

import polars as pl
import zstandard

from curate.io.readers.base import FieldMap
from curate.io.readers.jsonl import JsonlReader
from tests.conftest import shared


def read_all(path, **kw):
    bad = []
    reader = JsonlReader(on_unreadable=bad.append, **kw)
    frames = list(reader.read(str(path), name="f.jsonl"))
    df = pl.concat(frames) if frames else pl.DataFrame()
    return df, bad, reader


def test_dolma_file_reads_every_document_with_its_url():
    path = shared("web_text", "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
    df, bad, _ = read_all(path, fields=FieldMap.for_layout("dolma"), batch_size=100)
    with gzip.open(path, "rt") as f:
        raw = [json.loads(line) for line in f]
    assert df.height == len(raw) == 697
    assert bad == []
    assert df["id"].to_list() == [r["id"] for r in raw]
    assert df["url"].to_list() == [r["metadata"]["url"] for r in raw]
    assert df["text"].to_list() == [r["text"] for r in raw]
    assert df["source"][0] == "f.jsonl:1"


def test_c4_layout_without_ids_derives_stable_ids():
    path = shared("web_text", "datajuicer_redpajama-c4-refined.jsonl")
    a, _, _ = read_all(path, fields=FieldMap.for_layout("c4"))
    b, _, _ = read_all(path, fields=FieldMap.for_layout("c4"), batch_size=3)
    assert a["id"].to_list() == b["id"].to_list()  # independent of batching
    assert a["id"][0] == "f.jsonl/1"
    assert a["id"].n_unique() == a.height


def test_extra_fields_are_carried_as_strings():
    path = shared("web_text", "oscar2019_hfdatasets_dummy_166langs.jsonl.gz")
    fields = FieldMap.for_layout("default", extra={"lang": "lang", "doc_index": "doc_index"})
    df, bad, _ = read_all(path, fields=fields)
    assert bad == []
    assert df.height == 649
    assert df.schema["doc_index"] == pl.String
    assert df["lang"].n_unique() > 100


def test_broken_lines_are_reported_with_line_and_offset(tmp_path):
    lines = [
        b'{"id": "a", "text": "good one"}\n',
        b"this is not json\n",
        b"[1, 2, 3]\n",
        b'{"id": "b"}\n',
        b'{"id": "c", "text": null}\n',
        b"\n",
        b'{"id": "d", "text": "bad \xff\xfe utf8"}\n',
        b'{"id": "e", "text": "truncated',
    ]
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"".join(lines))
    df, bad, reader = read_all(path)
    assert df["id"].to_list() == ["a", "d"]
    assert "\ufffd" in df["text"][1]
    assert reader.n_repaired == 1
    by_record = {u.record: u for u in bad}
    assert sorted(by_record) == [2, 3, 4, 5, 8]
    assert "invalid JSON" in by_record[2].error
    assert "list, not an object" in by_record[3].error
    assert "no text field" in by_record[4].error
    assert by_record[2].offset == len(lines[0])
    assert all(u.file == "f.jsonl" for u in bad)


def test_truncated_gzip_keeps_lines_before_the_damage(tmp_path):
    good = "".join(json.dumps({"id": str(i), "text": f"doc {i} " * 50}) + "\n" for i in range(2000))
    blob = gzip.compress(good.encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(blob[: len(blob) // 2])
    df, bad, _ = read_all(path)
    assert 0 < df.height < 2000
    assert len(bad) == 1
    assert "truncated" in bad[0].error or "corrupt" in bad[0].error
    assert df["id"].to_list() == [str(i) for i in range(df.height)]


def test_zstd_and_empty_files(tmp_path):
    data = "".join(json.dumps({"text": f"t{i}"}) + "\n" for i in range(10)).encode()
    (tmp_path / "x.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    df, bad, _ = read_all(tmp_path / "x.jsonl.zst")
    assert df.height == 10 and bad == []
    (tmp_path / "empty.jsonl").write_bytes(b"")
    df, bad, _ = read_all(tmp_path / "empty.jsonl")
    assert df.height == 0 and bad == []


def test_enormous_single_document(tmp_path):
    big = "word " * 10_000_000  # 50 MB
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "big", "text": big}) + "\n")
    df, bad, _ = read_all(path)
    assert bad == [] and df["text"].str.len_bytes()[0] == len(big)
