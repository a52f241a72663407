"""WARC / WET readers: real Common Crawl, wget and Heritrix files, both extractors, and every malformed file."""

from __future__ import annotations

import gzip
import re
import zlib

import polars as pl
import pytest
from fastwarc.warc import ArchiveIterator, WarcRecordType

from curate.io.readers import make_reader
from curate.io.readers.html import decode_html, extract_text
from curate.io.readers.warc import WarcReader, WetReader
from tests.conftest import shared


def read_all(path, reader_cls=WarcReader, name="f", **kw):
    bad = []
    reader = reader_cls(on_unreadable=bad.append, **kw)
    frames = list(reader.read(str(path), name=name))
    df = pl.concat(frames) if frames else pl.DataFrame(schema=reader.schema())
    return df, bad, reader


def html_response_ids(path) -> list[str]:
    """Record ids of the HTML responses, straight from fastwarc (the reference for our reader)."""
    ids = []
    for rec in ArchiveIterator(str(path), record_types=WarcRecordType.response, parse_http=True):
        if (rec.http_content_type or "").lower() in ("text/html", "application/xhtml+xml"):
            ids.append(rec.record_id)
    return ids


# --- real WARC files ---------------------------------------------------------------------------

REAL_WARCS = {
    # file: (documents, skipped records by kind)
    "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz": (16, {"warcinfo": 1, "request": 17, "metadata": 16}),
    "dolma_wget_sample-0000.warc.gz": (22, {"warcinfo": 1, "request": 22, "metadata": 1, "resource": 2}),
    "dolma_wget_sample-0001.warc.gz": (15, {"warcinfo": 1, "request": 15, "metadata": 1, "resource": 2}),
    "commoncrawl_whirlwind.warc.gz": (1, {"warcinfo": 1, "request": 1, "metadata": 1}),
    "ukwa_IAH-20080430204825-blackbook-truncated.warc.gz": (
        2, {"warcinfo": 1, "request": 7, "metadata": 7, "response:non_html": 5, "response:not_http": 1},
    ),
    "warcio_example.warc.gz": (1, {"warcinfo": 2, "request": 2, "revisit": 1}),
}


@pytest.mark.parametrize("fname", sorted(REAL_WARCS))
def test_real_warc_yields_every_html_response_and_counts_the_rest(fname):
    path = shared("warc", fname)
    n_docs, skipped = REAL_WARCS[fname]
    df, bad, reader = read_all(path, name=fname)
    assert bad == []
    assert df.height == n_docs
    assert reader.skipped == skipped
    assert df["id"].to_list() == html_response_ids(path)
    assert df["id"].is_unique().all()
    assert reader.bytes_read == path.stat().st_size
    assert df["url"].str.starts_with("http").all()
    assert (df["content_type"] == "text/html").all()
    assert df["warc_date"].is_not_null().all()


def test_wget_urls_lose_their_angle_brackets():
    df, _, _ = read_all(shared("warc", "dolma_wget_sample-0000.warc.gz"))
    assert not df["url"].str.contains("[<>]").any()
    assert df["url"][0] == "https://www.semanticscholar.org/research/research-team"


def test_source_offsets_point_at_the_record_in_the_decompressed_stream():
    path = shared("warc", "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz")
    df, _, _ = read_all(path, name="cc.warc.gz")
    data = gzip.decompress(path.read_bytes())
    for source, rid in zip(df["source"], df["id"], strict=True):
        name, _, offset = source.rpartition(":")
        assert name == "cc.warc.gz"
        head = data[int(offset): int(offset) + 2000]
        assert head.startswith(b"WARC/1.")
        assert rid.encode() in head


def test_plain_and_gzip_warc_give_identical_documents(tmp_path):
    path = shared("warc", "dolma_wget_sample-0001.warc.gz")
    plain = tmp_path / "sample.warc"
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    a, _, _ = read_all(path, name="x")
    b, bad, _ = read_all(plain, name="x")
    assert bad == []
    assert a.equals(b)


def test_batches_and_reruns_give_the_same_stable_rows():
    path = shared("warc", "dolma_wget_sample-0000.warc.gz")
    a, _, _ = read_all(path, batch_size=10_000)
    reader = WarcReader(batch_size=5)
    frames = list(reader.read(str(path), name="f"))
    assert [f.height for f in frames] == [5, 5, 5, 5, 2]
    assert pl.concat(frames).equals(a)


@pytest.mark.parametrize("extractor", ["resiliparse", "trafilatura"])
def test_both_extractors_find_text_in_real_pages(extractor):
    df, _, _ = read_all(shared("warc", "dolma_wget_sample-0000.warc.gz"), extractor=extractor)
    lengths = df["text"].str.len_chars()
    assert (lengths > 0).mean() >= 0.9
    assert lengths.median() > 200
    assert not df["text"].str.contains("<div|<script|</p>").any()
    semantic = df.filter(pl.col("url").str.contains("semanticscholar"))["text"][0]
    assert "Semantic Scholar" in semantic


def test_non_utf8_pages_are_decoded_with_their_charset():
    df, _, _ = read_all(shared("warc", "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz"))
    texts = dict(zip(df["url"], df["text"], strict=True))
    assert "компании" in texts["http://01spb.ru/company/"]  # windows-1251 page
    assert not df["text"].str.contains("\ufffd").any()
    gb2312 = texts["http://0760.jxtdw.com/area/sanxiang/"]  # charset=gb2312 in the HTTP header
    assert "中山英才网" in gb2312
    assert len(re.findall(r"[\u4e00-\u9fff]", gb2312)) > 50
    assert not df["text"].str.contains("\ufeff").any()  # byte-order marks do not leak into text


def test_extractor_is_validated_and_selectable_through_make_reader():
    with pytest.raises(ValueError, match="unknown extractor"):
        WarcReader(extractor="beautifulsoup")
    assert make_reader("warc", extractor="trafilatura").extractor == "trafilatura"
    assert isinstance(make_reader("wet"), WetReader)


def test_decode_html_uses_the_meta_charset_when_http_gives_none():
    page = '<html><head><meta charset="windows-1252"></head><body><p>Un café crème</p></body></html>'
    assert "café crème" in decode_html(page.encode("cp1252"))
    assert "café crème" in extract_text(page.encode("cp1252"))


# --- hand-written records: empty pages, HTTP encodings -----------------------------------------

def warc_record(http: bytes, uri: str = "http://example.org/", rid: str = "<urn:uuid:1>") -> bytes:
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
        f"WARC-Record-ID: {rid}\r\nWARC-Target-URI: {uri}\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    )
    return head.encode() + http + b"\r\n\r\n"


def http_response(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_empty_page_is_yielded_with_empty_text_and_encodings_are_undone(tmp_path):
    article = "<html><body><article><p>" + "Readable words in a paragraph. " * 10 + "</p></article></body></html>"
    chunked = b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (article[:50].encode(), article[50:].encode())
    ) + b"0\r\n\r\n"
    data = (
        warc_record(http_response(b"<html><body></body></html>", "Content-Type: text/html"), rid="<urn:uuid:empty>")
        + warc_record(http_response(gzip.compress(article.encode()), "Content-Type: text/html",
                                    "Content-Encoding: gzip"), rid="<urn:uuid:gz>")
        + warc_record(http_response(chunked, "Content-Type: text/html; charset=utf-8",
                                    "Transfer-Encoding: chunked"), rid="<urn:uuid:chunked>")
        + warc_record(http_response(b"", "Content-Type: text/html", status="301 Moved"), rid="<urn:uuid:moved>")
        + warc_record(http_response(b"\x89PNG", "Content-Type: image/png"), rid="<urn:uuid:png>")
    )
    path = tmp_path / "hand.warc.gz"
    path.write_bytes(gzip.compress(data))
    df, bad, reader = read_all(path)
    assert bad == []
    assert df["id"].to_list() == ["<urn:uuid:empty>", "<urn:uuid:gz>", "<urn:uuid:chunked>", "<urn:uuid:moved>"]
    assert df["text"].to_list()[0] == "" and df["text"].to_list()[3] == ""
    assert df["text"][1].startswith("Readable words") and df["text"][1] == df["text"][2]
    assert df["http_status"].to_list() == [200, 200, 200, 301]
    assert reader.skipped == {"response:non_html": 1}


def gzip_members(data: bytes) -> list[int]:
    """Compressed offsets of the gzip members of a per-record-gzip file."""
    starts, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        d.decompress(data[pos:])
        starts.append(pos)
        pos = len(data) - len(d.unused_data)
    return starts


def test_corrupt_gzip_member_loses_only_its_record(tmp_path):
    src = shared("warc", "dolma_wget_sample-0000.warc.gz")
    data = src.read_bytes()
    starts = gzip_members(data)
    good, _, _ = read_all(src)
    # member 4 holds the second response (https://www.cs.washington.edu/people/faculty/weld)
    start, end = starts[4], starts[5]
    mid = (start + end) // 2
    broken = data[:mid] + bytes(64) + data[mid + 64:]
    path = tmp_path / "corrupt.warc.gz"
    path.write_bytes(broken)
    df, bad, _ = read_all(path)
    assert df["id"].to_list() == [i for i in good["id"].to_list() if i != good["id"][1]]
    assert len(bad) == 1
    assert f"corrupt gzip data in the member starting at compressed offset {start}" in bad[0].error
    assert f"skipped to the next gzip member at {end}" in bad[0].error


def test_junk_between_gzip_members_is_skipped_and_reported(tmp_path):
    src = shared("warc", "dolma_wget_sample-0001.warc.gz")
    data = src.read_bytes()
    cut = gzip_members(data)[10]
    path = tmp_path / "junk.warc.gz"
    path.write_bytes(data[:cut] + b"this is not gzip" + data[cut:])
    good, _, _ = read_all(src)
    df, bad, _ = read_all(path)
    assert df.equals(good)
    assert len(bad) == 1
    assert f"16 byte(s) at compressed offset {cut} are not gzip data" in bad[0].error


def test_trailing_garbage_after_the_last_gzip_member_is_reported(tmp_path):
    src = shared("warc", "warcio_example.warc.gz")
    path = tmp_path / "garbage.warc.gz"
    size = src.stat().st_size
    path.write_bytes(src.read_bytes() + b"PK\x03\x04 not a gzip member")
    df, bad, _ = read_all(path, name="g")
    assert df.height == 1
    assert len(bad) == 1
    assert f"trailing byte(s) at compressed offset {size} are not gzip data" in bad[0].error


# --- WET -----------------------------------------------------------------------------------------

def test_real_wet_yields_every_conversion_verbatim():
    path = shared("warc", "ccscalatools_CC-MAIN-2016-50_filter_test_1.wet.gz")
    df, bad, reader = read_all(path, WetReader)
    assert bad == []
    assert df.height == 25
    assert reader.skipped == {"warcinfo": 1}
    raw = {}
    for rec in ArchiveIterator(str(path), record_types=WarcRecordType.conversion):
        raw[rec.record_id] = rec.reader.read().decode("utf-8").strip()
    assert df["id"].to_list() == list(raw)
    assert df["text"].to_list() == list(raw.values())
    assert (df["text"].str.len_chars() > 100).all()
    assert df["url"][0] == "http://100-things-to-do-before-high-school.wikia.com/wiki/File:Say_yes_28.PNG"


def test_whirlwind_wet_matches_its_warc_page():
    wet, _, _ = read_all(shared("warc", "commoncrawl_whirlwind.warc.wet.gz"), WetReader)
    warc, _, _ = read_all(shared("warc", "commoncrawl_whirlwind.warc.gz"))
    assert wet["url"].to_list() == warc["url"].to_list() == ["https://an.wikipedia.org/wiki/Escopete"]
    assert "Escopete" in wet["text"][0] and "Escopete" in warc["text"][0]


def test_wat_file_read_as_warc_yields_no_documents():
    df, bad, reader = read_all(shared("warc", "commoncrawl_whirlwind.warc.wat.gz"))
    assert df.height == 0 and bad == []
    assert reader.skipped == {"warcinfo": 1, "metadata": 1}


# --- malformed files: what is kept, what is reported, where ------------------------------------

MALFORMED = {
    # file: (reader, documents kept, [(offset, record, words in the error)])
    "ccscalatools_appended_zip_fragment_unexpected_eof.wet.gz": (
        WetReader, 15, [(129270, 16, ["truncated", "Content-Length 7758", "compressed offset 49258"])],
    ),
    "ccscalatools_corrupt_starts_with_conversion.wet.gz": (WetReader, 5, []),
    "ccscalatools_corrupt_two_warcinfo.wet.gz": (WetReader, 5, []),
    "ccscalatools_corrupt_warcconversion_1.wet.gz": (WetReader, 5, []),
    "ccscalatools_corrupt_warcconversion_2.wet.gz": (WetReader, 1, []),
    "ccscalatools_corrupt_warcinfo_1.wet.gz": (WetReader, 5, []),
    "ccscalatools_file_and_wet_headers_only.wet.gz": (
        WetReader, 0, [(0, 0, ["not a valid WARC header", "next record at 522"]),
                       (522, 1, ["not a valid WARC header", "nothing readable follows"])],
    ),
    "ccscalatools_file_headers_only.wet.gz": (WetReader, 0, [(0, 0, ["not a valid WARC header"])]),
    "ccscalatools_fragment1_asthma_incomplete_last.wet.gz": (  # record 1 is 48 bytes shorter than declared
        WetReader, 0, [(540, 1, ["Content-Length 2287 does not fit", "at 3207"]),
                       (3163, 2, ["truncated", "Content-Length 12694"])],
    ),
    "ccscalatools_fragment1_incomplete_last.wet.gz": (
        WetReader, 1, [(3211, 2, ["truncated", "Content-Length 12694", "9186"])],
    ),
    "ccscalatools_fragment2_no_header.wet.gz": (
        WetReader, 1, [(0, 0, ["Invalid WARC header", "skipped 7429 byte(s)"]),
                       (17004, 2, ["truncated", "Content-Length 9359"])],
    ),
    "ccscalatools_fragment3.wet.gz": (WetReader, 5, []),
    "resiliparse_clipped.warc.gz": (
        WarcReader, 0, [(0, 0, ["truncated", "Content-Length 88275", "gzip member", "truncated"])],
    ),
}


def test_every_malformed_file_is_listed():
    assert {p.name for p in shared("warc", "malformed").iterdir()} == set(MALFORMED)


@pytest.mark.parametrize("fname", sorted(MALFORMED))
def test_malformed_file_keeps_intact_records_and_reports_damage(fname):
    reader_cls, n_docs, expected = MALFORMED[fname]
    df, bad, _ = read_all(shared("warc", "malformed", fname), reader_cls, name=fname)
    assert df.height == n_docs
    assert (df["text"].str.len_chars() > 0).all()
    assert [(u.file, u.offset, u.record) for u in bad] == [(fname, off, rec) for off, rec, _ in expected]
    for u, (_, _, words) in zip(bad, expected, strict=True):
        for word in words:
            assert word in u.error, (word, u.error)


def test_record_without_target_uri_is_kept_with_null_url():
    df, bad, _ = read_all(shared("warc", "malformed", "ccscalatools_corrupt_warcconversion_1.wet.gz"), WetReader)
    assert bad == []
    assert df["url"].null_count() == 1
    assert df["id"][0] == "<urn:uuid:d0cad1a9-b0b0-4067-925a-e9ef4905d25e>"


def test_resync_after_a_cut_start_recovers_the_next_intact_record():
    df, _, _ = read_all(shared("warc", "malformed", "ccscalatools_fragment2_no_header.wet.gz"), WetReader)
    assert df["url"].to_list() == ["http://03online.com/news/11253"]
    assert df["source"].to_list() == ["f:7429"]


def test_fsspec_urls_are_read_like_local_files():
    import fsspec

    src = shared("warc", "warcio_example.warc.gz")
    with fsspec.open("memory://bucket/example.warc.gz", "wb") as f:
        f.write(src.read_bytes())
    remote, bad, reader = read_all("memory://bucket/example.warc.gz", name="x")
    local, _, _ = read_all(src, name="x")
    assert bad == [] and remote.equals(local)
    assert reader.bytes_read == src.stat().st_size


@pytest.mark.parametrize("seed", range(3))
def test_random_damage_never_raises_and_never_loses_documents_silently(seed, tmp_path):
    import random

    rng = random.Random(seed)
    sources = [shared("warc", f) for f in ("dolma_wget_sample-0000.warc.gz", "warcio_example.warc.gz",
                                           "resiliparse_CC-MAIN-2020-34_warcfile.warc.gz")]
    for trial in range(10):
        src = rng.choice(sources)
        data = src.read_bytes() if rng.random() < 0.7 else gzip.decompress(src.read_bytes())
        i = rng.randrange(len(data))
        kind = rng.choice(["cut", "flip", "junk", "zeros"])
        if kind == "cut":
            data = data[:i]
        elif kind == "flip":
            data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
        elif kind == "junk":
            data = data[:i] + rng.randbytes(rng.randrange(1, 300)) + data[i:]
        else:
            data = data[:i] + bytes(500) + data[i + 500:]
        path = tmp_path / f"{trial}.warc"
        path.write_bytes(data)
        df, bad, _ = read_all(path)
        full, _, _ = read_all(src)
        if df.height < full.height:
            assert bad, f"{src.name}: {kind} at {i} lost {full.height - df.height} document(s) silently"
        assert all(u.offset is not None for u in bad)
