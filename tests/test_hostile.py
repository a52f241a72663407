"""Hostile input through whole runs: every record kept, rejected with a reason, or reported."""

from __future__ import annotations

import json

import duckdb
import pytest

from curate import LengthFilter, Pipeline


def _run(tmp_path, files: dict[str, bytes], **stage_kw):
    data = tmp_path / "data"
    data.mkdir(parents=True)
    for name, content in files.items():
        (data / name).write_bytes(content)
    out = tmp_path / "out"
    summary = Pipeline([LengthFilter(**stage_kw)]).run(input=str(data), output=out)
    con = duckdb.connect(str(out / "catalog.duckdb"), read_only=True)
    return summary, con


def test_mixed_bad_jsonl_is_fully_accounted(tmp_path):
    lines = [
        json.dumps({"id": "ok", "text": "a perfectly normal document " * 5}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps("a bare string"),
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "num", "text": 12345}),
        json.dumps({"id": "empty", "text": ""}),
        json.dumps({"id": "ws", "text": " \n\t "}),
    ]
    raw = ("\n".join(lines) + "\n").encode() + b'{"id": "bad-utf8", "text": "caf\xe9 au lait is fine"}\n'
    summary, con = _run(tmp_path, {"a.jsonl": raw, "empty.jsonl": b""})
    assert summary.n_read == 9
    assert summary.n_read == summary.n_kept + summary.n_rejected + summary.n_unreadable
    assert summary.n_unreadable == 4
    assert summary.n_repaired == 1
    reasons = dict(con.sql("select id, reason from rejected").fetchall())
    assert reasons == {"empty": "empty_doc", "ws": "empty_doc"}
    kept = {r[0] for r in con.sql("select id from docs").fetchall()}
    assert kept == {"ok", "num", "bad-utf8"}
    errors = con.sql("select record, error from unreadable order by record").fetchall()
    assert [r for r, _ in errors] == [2, 3, 4, 5]
    assert con.sql("select n_repaired from runs").fetchall()[0][0] == 1


def test_enormous_document_is_rejected_not_fatal(tmp_path):
    big = json.dumps({"id": "huge", "text": "x" * 50_000_000}) + "\n"
    small = json.dumps({"id": "small", "text": "a small document with words"}) + "\n"
    summary, con = _run(tmp_path, {"big.jsonl": (big + small).encode()})
    assert (summary.n_read, summary.n_kept, summary.n_rejected) == (2, 1, 1)
    assert con.sql("select reason from rejected where id = 'huge'").fetchall() == [("too_long",)]


@pytest.mark.parametrize("payload", [b"\x1f\x8b\x08\x00garbage", b"\x00" * 100, b"PK\x03\x04zipzip"])
def test_corrupt_compressed_file_is_reported(tmp_path, payload):
    summary, con = _run(tmp_path, {"bad.jsonl.gz": payload,
                                   "good.jsonl": b'{"text": "fine text here"}\n'})
    assert summary.n_kept == 1
    assert summary.n_unreadable == 1
    (file, error), = con.sql("select file, error from unreadable").fetchall()
    assert file.endswith("bad.jsonl.gz") and "corrupt" in error


def test_same_input_same_output_twice(tmp_path):
    lines = "".join(json.dumps({"text": f"doc {i} " * (i % 7)}) + "\n" for i in range(500)).encode()
    s1, c1 = _run(tmp_path / "a", {"x.jsonl": lines}, min_chars=20)
    s2, c2 = _run(tmp_path / "b", {"x.jsonl": lines}, min_chars=20)
    q = "select id, text, n_chars from all_rows order by id"
    for con in (c1, c2):
        con.sql("create temp view all_rows as select id, text, n_chars from docs union all "
                "select id, text, n_chars from rejected")
    assert c1.sql(q).fetchall() == c2.sql(q).fetchall()
