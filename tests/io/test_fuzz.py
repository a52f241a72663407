"""Fuzzing the readers with hypothesis: arbitrary bytes never crash a reader or lose a record."""

from __future__ import annotations

import gzip

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.io.readers.jsonl import JsonlReader

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_ish = st.lists(
    st.one_of(
        st.binary(max_size=80),
        st.from_regex(rb'\{"text": "[a-z \\\\"]{0,30}"\}', fullmatch=True),
        st.from_regex(rb'\{"id": [0-9]{1,4}, "text": "[^"\\\\]{0,20}"', fullmatch=True),
        st.just(b"[1,2]"), st.just(b"null"), st.just(b'{"text": ["x"]}'),
    ),
    max_size=30,
)


@FUZZ
@given(lines=json_ish)
def test_jsonl_reader_never_crashes_and_accounts_every_line(tmp_path, lines):
    blob = b"\n".join(lines)
    path = tmp_path / "f.jsonl"
    path.write_bytes(blob)
    bad = []
    docs = sum(df.height for df in JsonlReader(on_unreadable=bad.append, batch_size=7).read(str(path)))
    non_blank = sum(1 for line in blob.split(b"\n") if line.strip())
    assert docs + len(bad) == non_blank


@FUZZ
@given(lines=json_ish, cut=st.integers(min_value=0, max_value=400), flip=st.integers(min_value=0, max_value=400))
def test_jsonl_gz_reader_survives_truncation_and_bit_flips(tmp_path, lines, cut, flip):
    blob = bytearray(gzip.compress(b"\n".join(lines)))
    if blob:
        blob[flip % len(blob)] ^= 0x5A
    blob = bytes(blob[: max(0, len(blob) - cut)])
    path = tmp_path / "f.jsonl.gz"
    path.write_bytes(blob)
    bad = []
    list(JsonlReader(on_unreadable=bad.append, batch_size=5).read(str(path)))
    assert all(u.file and u.error for u in bad)
