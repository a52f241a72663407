"""WARC and WET readers: HTML responses (text extracted) and WET conversions, damage reported, never raised.

Offsets in ``source`` and in unreadable reports are byte positions in the *decompressed* stream
(``zcat FILE | tail -c +$((OFFSET + 1))`` starts at the record), which is meaningful for per-record
gzip files and single-member gzip files alike.

How damage is handled (each case seen in ``../shared/data/warc/malformed`` or tested by hand);
fastwarc raises on some damage and silently stops or over-reads on other, so we check ourselves:

- a record whose block is shorter than its ``Content-Length`` (file or gzip member cut short) is
  reported as unreadable, not yielded half-read;
- a record whose block is not followed by its blank line (the declared length runs into the next
  record) is reported, and reading resumes at the next ``WARC/1.x`` line inside it;
- an invalid record header (fastwarc raises, or yields a header it could not split, e.g. LF-only
  lines) is reported, and reading resumes at the next ``WARC/1.x`` line;
- bytes the parser stopped at without a word (anything non-blank after the last record's end, or
  between records) are reported the same way;
- gzip damage (truncated member, corrupt deflate data, bytes that are not gzip) is reported with
  its compressed offset, together with the record it breaks, and decompression resumes at the next
  gzip member, so per-record-gzip files lose only the damaged records.

Records that are not documents are counted in ``Reader.skipped`` by kind (``request``,
``metadata``, ``response:non_html``, ...). A WAT file read as WARC therefore yields no documents
and a warning.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator

import fsspec
import polars as pl
from fastwarc.warc import ArchiveIterator, WarcRecordType

from curate.errors import InputError
from curate.io.readers.base import Reader, Unreadable, derived_id, log, source_of
from curate.io.readers.html import EXTRACTORS, HTML_TYPES, decode_chunked, decode_content, extract_text
from curate.schema import ID, SOURCE, TEXT, URL

_RAW_CHUNK = 1 << 20  # compressed bytes read at a time
_OUT_CHUNK = 1 << 20  # decompressed bytes produced at a time
_FEED = 1 << 16  # compressed bytes given to zlib at a time
_KEEP = 4 << 20  # decompressed bytes kept behind the read position (header look-up, resync)
_MAX_RESYNCS = 10_000  # damaged regions skipped per file before giving up on the rest
_MARKER = re.compile(rb"(?:^|\n)(WARC/1\.\d\r?\n)")
_GZIP_MAGIC = b"\x1f\x8b"
_MEMBER_START = b"\x1f\x8b\x08"  # gzip magic + deflate: where to resume after a corrupt member

_TYPE_NAMES = {
    int(getattr(WarcRecordType, kind)): kind
    for kind in ("warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion", "continuation")
}


class WarcStream(io.RawIOBase):
    """Decompressed bytes of a plain or gzip (multi-member) WARC, with a window kept for rewinding.

    gzip damage (corrupt or truncated member, bytes that are not gzip) is skipped to the next gzip
    member, if any, and listed in ``damages``; ``raw_pos`` counts compressed bytes read.
    """

    def __init__(self, raw: io.IOBase):
        self._raw = raw
        self.raw_pos = 0
        self._in = raw.read(_RAW_CHUNK) or b""
        self._in_pos = 0  # next unconsumed byte of _in
        self.raw_pos = len(self._in)
        self._gzip = self._in.startswith(_GZIP_MAGIC)
        self._dec = None  # the current gzip member's decompressor
        self._member_start = 0
        self._buf = bytearray()
        self._buf_start = 0  # decompressed offset of _buf[0]
        self._pos = 0  # read position (decompressed offset)
        self.eof = False
        #: gzip damage found so far: (compressed offset, decompressed offset where data breaks, message)
        self.damages: list[tuple[int, int, str]] = []

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if (offset, whence) == (0, 1):
            return self._pos
        raise io.UnsupportedOperation("WarcStream only rewinds through rewind()")

    @property
    def end(self) -> int:
        """Decompressed offset of the last byte produced so far, plus one."""
        return self._buf_start + len(self._buf)

    def readinto(self, buffer) -> int:
        if self._pos >= self.end and not self._produce():
            return 0
        start = self._pos - self._buf_start
        n = min(len(buffer), len(self._buf) - start)
        buffer[:n] = self._buf[start:start + n]
        self._pos += n
        return n

    def rewind(self, pos: int) -> bool:
        """Move the read position back (or forward) to ``pos`` if it is still in the kept window."""
        if pos < self._buf_start or pos > self.end:
            return False
        self._pos = pos
        return True

    def window(self, start: int, end: int) -> bytes:
        """The kept decompressed bytes in ``[start, end)`` (clipped to what is kept)."""
        lo = max(start, self._buf_start) - self._buf_start
        hi = max(lo, min(end, self.end) - self._buf_start)
        return bytes(self._buf[lo:hi])

    def find(self, sub: bytes, start: int, end: int) -> int:
        """Offset of ``sub`` in the kept bytes ``[start, end)``, or -1 (no copy of the window is made)."""
        lo = max(start, self._buf_start) - self._buf_start
        hi = max(lo, min(end, self.end) - self._buf_start)
        i = self._buf.find(sub, lo, hi)
        return i + self._buf_start if i >= 0 else -1

    def find_nonblank(self, start: int, end: int) -> bool:
        """True if the kept bytes in ``[start, end)`` hold anything but white space."""
        return bool(self.window(start, end).strip())

    def find_marker(self, start: int) -> int | None:
        """Offset of the first ``WARC/1.x`` line at or after ``start``, producing more data as needed."""
        pos = max(start, self._buf_start)
        while True:
            lo = max(pos - 1, self._buf_start) - self._buf_start
            for m in _MARKER.finditer(self._buf, lo):
                if m.start(1) + self._buf_start >= start:
                    return m.start(1) + self._buf_start
            pos = max(self.end - 16, start)
            self._pos = self.end  # everything so far was scanned: let the window move on
            if not self._produce():
                return None

    def _produce(self) -> bool:
        """Append the next decompressed chunk to the window; False at the end of the stream."""
        if self.eof:
            return False
        data = self._next_chunk()
        if not data:
            self.eof = True
            return False
        self._buf += data
        behind = self._pos - self._buf_start
        if behind > 2 * _KEEP:  # amortised trim: one memmove per _KEEP bytes read
            del self._buf[: behind - _KEEP]
            self._buf_start += behind - _KEEP
        return True

    def _damaged(self, comp: int, message: str) -> None:
        self.damages.append((comp, self.end, message))

    def _comp_pos(self) -> int:
        return self.raw_pos - (len(self._in) - self._in_pos)

    def _read_raw(self) -> bool:
        more = self._raw.read(_RAW_CHUNK)
        if not more:
            return False
        self.raw_pos += len(more)
        self._in = self._in[self._in_pos:] + more if self._in_pos < len(self._in) else more
        self._in_pos = 0
        return True

    def _skip_to_member(self, pos: int) -> int | None:
        """Move the input to the next gzip member header at or after ``_in[pos]``; its compressed offset."""
        while True:
            i = self._in.find(_MEMBER_START, pos)
            if i >= 0:
                self._in_pos = i
                return self._comp_pos()
            self._in_pos = max(self._in_pos, len(self._in) - len(_MEMBER_START) + 1, 0)
            if not self._read_raw():
                self._in_pos = len(self._in)
                return None
            pos = 0

    def _next_chunk(self) -> bytes:
        if not self._gzip:
            if self._in_pos >= len(self._in) and not self._read_raw():
                return b""
            data = self._in[self._in_pos:] if self._in_pos else self._in
            self._in, self._in_pos = b"", 0
            return data
        while True:
            if self._dec is None:
                if len(self._in) - self._in_pos < 2 and not self._read_raw() and self._in_pos >= len(self._in):
                    return b""  # clean end: every member was complete
                comp = self._comp_pos()
                if not self._in.startswith(_GZIP_MAGIC, self._in_pos):
                    nxt = self._skip_to_member(self._in_pos + 1)
                    if nxt is None:
                        self._damaged(comp, f"{self.raw_pos - comp} trailing byte(s) at compressed offset {comp} "
                                            "are not gzip data")
                        return b""
                    self._damaged(comp, f"{nxt - comp} byte(s) at compressed offset {comp} are not gzip data "
                                        f"(skipped to the gzip member at {nxt})")
                    continue
                self._dec = zlib.decompressobj(31)
                self._member_start = comp
            # feed at most _FEED bytes: zlib copies the unused input, which must stay small per member
            feed = memoryview(self._in)[self._in_pos:self._in_pos + _FEED]
            try:
                out = self._dec.decompress(feed, _OUT_CHUNK)
            except zlib.error as exc:
                start, self._dec = self._member_start, None
                msg = f"corrupt gzip data in the member starting at compressed offset {start} ({exc})"
                nxt = self._skip_to_member(self._in_pos + 1)
                if nxt is None:
                    self._damaged(start, msg + "; no gzip member follows")
                    return b""
                self._damaged(start, msg + f"; skipped to the next gzip member at {nxt}")
                continue
            if self._dec.eof:
                self._in_pos += len(feed) - len(self._dec.unused_data)
                self._dec = None
            else:
                self._in_pos += len(feed) - len(self._dec.unconsumed_tail)
                if not out and self._in_pos >= len(self._in) and not self._read_raw():
                    self._damaged(self._member_start, f"gzip member starting at compressed offset "
                                                      f"{self._member_start} is truncated (the file ends inside it)")
                    self._dec = None
                    return b""
            if out:
                return out

    def _drain(self) -> int:
        n = 0
        while True:
            more = self._raw.read(_RAW_CHUNK)
            if not more:
                return n
            n += len(more)
            self.raw_pos += len(more)


def _strip_brackets(value: str | None) -> str | None:
    """``<http://x>`` → ``http://x`` (wget writes target URIs wrapped in angle brackets)."""
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == "<" and value[-1] == ">":
        value = value[1:-1].strip()
    return value or None


def _valid_header(headers: dict[str, str]) -> bool:
    """False for what fastwarc yields from a header it could not split (e.g. LF-only line ends)."""
    kind = headers.get("warc-type")
    return bool(kind) and "\n" not in kind and headers.get("content-length") is not None


def _declared_length(headers: dict[str, str]) -> int | None:
    value = (headers.get("content-length") or "").strip()
    return int(value) if value.isdigit() else None


def _block_ends(stream: WarcStream, end: int) -> bool:
    """True if a record block ending at ``end`` is followed by its blank line (or by the end of the data)."""
    while stream.end < end + 4 and stream._produce():
        pass
    return not stream.window(end, end + 4).strip(b"\r\n")


def _clean_end(stream: WarcStream, expected_end: int) -> bool:
    """True if nothing but blank lines follows ``expected_end`` up to the end of the stream."""
    while True:
        if stream.window(expected_end, stream.end).strip():
            return False
        stream._pos = max(stream._pos, stream.end)  # all of it was checked: let the window move on
        if not stream._produce():
            return True


def _header_end(stream: WarcStream, start: int) -> int | None:
    """Offset just past the blank line ending the WARC header that starts at ``start``."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = stream.find(sep, start, start + (1 << 20))
        if i >= 0:
            return i + len(sep)
    return None


class _WarcBase(Reader):
    """Shared record loop: iterates a WARC with fastwarc, resyncs after damage, reports it, batches rows."""

    #: extra columns every batch carries (beyond the canonical ones and the field map's extras)
    extra_schema: dict[str, pl.DataType] = {"warc_date": pl.String()}

    def schema(self) -> dict[str, pl.DataType]:
        schema = dict(self.fields.output_schema())
        schema.update(self.extra_schema)
        return schema

    def document(self, rec, headers: dict[str, str], name: str, offset: int) -> dict | str:
        """A row for the record, or the ``skipped`` kind if it is not a document (``headers``: lower-case names)."""
        raise NotImplementedError

    def read(self, path: str, name: str | None = None) -> Iterator[pl.DataFrame]:
        """Yield batches of documents from the WARC/WET file at ``path``; damage goes to ``on_unreadable``."""
        name = name or path
        self.skipped = {}
        self.n_repaired = 0
        self.bytes_read = 0
        self._n_docs = 0  # documents yielded from the current file
        try:
            raw = fsspec.open(path, "rb").open()
        except FileNotFoundError:
            raise InputError(f"input file not found: {path}") from None
        rows: dict[str, list] = {c: [] for c in self.schema()}
        try:
            stream = WarcStream(raw)
            for row in self._records(stream, name):
                for col, values in rows.items():
                    values.append(row.get(col))
                if len(rows[ID]) >= self.batch_size:
                    self.bytes_read = stream.raw_pos
                    yield self.frame(rows)
                    rows = {c: [] for c in self.schema()}
            self.bytes_read = stream.raw_pos
            if rows[ID]:
                yield self.frame(rows)
        except BaseException as exc:  # an I/O error of the file (or a parser panic): report, keep what was read
            if isinstance(exc, (GeneratorExit, KeyboardInterrupt, SystemExit)):
                raise
            self.on_unreadable(Unreadable(name, None, f"reading stopped: {type(exc).__name__}: {exc}", None))
            if rows[ID]:
                yield self.frame(rows)
        finally:
            raw.close()
        if self.n_repaired:
            log.warning("%s: repaired invalid bytes in %d record(s) with U+FFFD", name, self.n_repaired)
        if sum(self.skipped.values()) and not self._n_docs:
            log.warning("%s: no documents among %d record(s) (%s); is this the right format (%s)?",
                        name, sum(self.skipped.values()), self.skipped, self.format)

    def _records(self, stream: WarcStream, name: str) -> Iterator[dict]:
        """Rows of every document record; every other record is counted or reported."""
        index = 0  # ordinal of the record in the file, from 0 (a damaged stretch counts as one)
        resyncs = 0
        reported: set[int] = set()  # indexes into stream.damages already reported with a record

        def report(offset: int, error: str) -> None:
            nonlocal index
            self.on_unreadable(Unreadable(name, offset, error, index))
            index += 1

        def damage_within(lo: int, hi: int) -> list[tuple[int, str]]:
            """Unreported gzip damage breaking the decompressed data strictly inside ``(lo, hi)``."""
            hits = [(i, d) for i, d in enumerate(stream.damages) if i not in reported and lo < d[1] < hi]
            reported.update(i for i, _ in hits)
            return [(d[1], d[2]) for _, d in hits]

        expected_end = 0  # where the next record should start
        while True:
            failure: str | None = None  # why the parser stopped early
            resume: int | None = None  # where to look for the next record when it did
            it = ArchiveIterator(stream, parse_http=False)
            try:
                for rec in it:
                    offset = rec.stream_pos
                    headers = {k.lower(): v for k, v in rec.headers.asdict().items()}
                    if not _valid_header(headers):
                        failure = "record header is not a valid WARC header (LF-only line ends or no Content-Length)"
                        expected_end, resume = offset, offset + 1
                        break
                    if offset > expected_end and stream.find_nonblank(expected_end, offset):
                        report(expected_end, f"{offset - expected_end} byte(s) of non-WARC data before the record "
                                             f"at {offset} were skipped")
                    declared = _declared_length(headers)
                    hend = _header_end(stream, offset)
                    error, row = None, None
                    try:
                        row = self.document(rec, headers, name, offset)
                    except _Truncated as exc:
                        error = f"record is truncated: {exc}"
                    except Exception as exc:  # bad HTTP encoding, extractor failure: this record only
                        error = f"{type(exc).__name__}: {exc}"
                    expected_end = hend + declared if declared is not None and hend is not None else stream.end
                    overrun = error is None and hend is not None and not _block_ends(stream, expected_end)
                    if overrun:
                        error = (f"Content-Length {declared} does not fit the record: no blank line follows the "
                                 f"block at {expected_end} (the record is shorter than declared)")
                    hits = damage_within(offset, expected_end)
                    if hits:
                        error = "; ".join(([error] if error else []) + [msg for _, msg in hits])
                    if error is not None:
                        report(offset, error)
                    else:
                        index += 1
                        if isinstance(row, str):
                            self.skipped[row] = self.skipped.get(row, 0) + 1
                        else:
                            self._n_docs += 1
                            yield row
                    if overrun:  # the block swallowed the start of what follows: look for it inside
                        failure, resume = "", offset + 1
                        break
                    if hits and not (stream.eof and hits[0][0] >= stream.end):
                        # the data breaks inside this record and goes on: what follows the break is
                        # the next gzip member, so look for a record there, not after this one
                        expected_end, resume = hits[0][0], hits[0][0]
                        failure = ""
                        break
            except BaseException as exc:  # fastwarc: invalid header, bad Content-Length, ... (or a panic)
                if isinstance(exc, (GeneratorExit, KeyboardInterrupt, SystemExit)):
                    raise
                failure = f"invalid WARC record: {exc}"
            if failure is None:
                if _clean_end(stream, expected_end):
                    break
                failure = "unparsed bytes after the last readable record (the parser stopped here)"
            resyncs += 1
            resume = expected_end + 1 if resume is None else resume
            nxt = stream.find_marker(resume) if resyncs <= _MAX_RESYNCS else None
            if nxt is not None and stream.rewind(nxt):
                if failure or stream.find_nonblank(expected_end, nxt):
                    hits = damage_within(expected_end - 1, nxt + 1)
                    why = "; ".join([failure or "unreadable bytes"] + [msg for _, msg in hits])
                    report(expected_end, f"{why}; skipped {nxt - expected_end} byte(s) to the next record at {nxt}")
                expected_end = nxt
                continue
            if failure or stream.find_nonblank(expected_end, stream.end):
                hits = damage_within(expected_end - 1, stream.end + 1)
                why = "; ".join([failure or "unreadable bytes"] + [msg for _, msg in hits])
                report(expected_end, f"{why}; nothing readable follows ({stream.end - expected_end} byte(s) skipped)")
            break
        for i, (_, dec, msg) in enumerate(stream.damages):
            if i not in reported:
                report(dec, f"{msg} (decompressed data breaks at {dec})")

    def _skip_payload(self, rec, headers: dict[str, str]) -> None:
        """Read past a non-document block in bounded memory, checking it is complete."""
        n = 0
        while chunk := rec.reader.read(1 << 20):
            n += len(chunk)
        declared = _declared_length(headers)
        if declared is not None and n < declared:
            raise _Truncated(f"Content-Length {declared} but only {n} byte(s) present")

    def _text_payload(self, rec, headers: dict[str, str]) -> bytes:
        body = rec.reader.read()
        declared = _declared_length(headers)
        if declared is not None and len(body) < declared:
            raise _Truncated(f"Content-Length {declared} but only {len(body)} byte(s) present")
        return body

    def _base_row(self, headers: dict[str, str], name: str, offset: int) -> dict:
        row = {
            ID: headers.get("warc-record-id") or derived_id(name, offset),
            URL: _strip_brackets(headers.get("warc-target-uri")),
            SOURCE: source_of(name, offset),
            "warc_date": headers.get("warc-date"),
        }
        for col, header in (self.fields.extra or {}).items():
            row[col] = headers.get(header.lower())
        return row


class _Truncated(Exception):
    """A record's block is shorter than its Content-Length."""


def _type_name(rec) -> str:
    return _TYPE_NAMES.get(int(rec.record_type), "unknown")


class WarcReader(_WarcBase):
    """Read HTML ``response`` records of a WARC file, one document each, text extracted from the HTML.

    Args:
        extractor: ``"resiliparse"`` (fast main-content heuristics) or ``"trafilatura"`` (slower,
            more precise on boilerplate). Pages whose extraction is empty are still yielded with
            ``text = ""`` so the length stage rejects them as ``empty_doc``.

    Records that are not HTML documents (warcinfo, request, metadata, revisit, images, ...) are
    counted in ``skipped`` by kind. Extra columns: ``warc_date``, ``http_status``, ``content_type``.
    """

    format = "warc"
    extra_schema = {"warc_date": pl.String(), "http_status": pl.Int64(), "content_type": pl.String()}

    def __init__(self, *args, extractor: str = "resiliparse", **kwargs):
        super().__init__(*args, **kwargs)
        if extractor not in EXTRACTORS:
            raise ValueError(f"unknown extractor {extractor!r}; expected one of {list(EXTRACTORS)}")
        self.extractor = extractor

    def document(self, rec, headers: dict[str, str], name: str, offset: int) -> dict | str:
        if rec.record_type != WarcRecordType.response:
            self._skip_payload(rec, headers)  # truncation check: a cut record is damage whatever its type
            return _type_name(rec)
        rec.parse_http(auto_decode="none")
        if not rec.is_http or rec.http_headers is None:
            self._skip_payload(rec, headers)
            return "response:not_http"
        content_type = (rec.http_content_type or "").lower() or None
        declared = _declared_length(headers)
        remaining = rec.content_length
        html = content_type in HTML_TYPES
        body = rec.reader.read() if html else b""
        got = len(body)
        while not html and (chunk := rec.reader.read(1 << 20)):  # images, PDFs: bounded memory
            got += len(chunk)
        if got < remaining:
            raise _Truncated(f"Content-Length {declared} but the HTTP payload lacks {remaining - got} byte(s)")
        if not html:
            return "response:non_html"
        http = rec.http_headers
        if "chunked" in (http.get("Transfer-Encoding") or "").lower():
            try:
                body = decode_chunked(body)
            except ValueError as exc:
                raise ValueError(f"bad chunked transfer encoding: {exc}") from None
        body = decode_content(body, http.get("Content-Encoding"))
        row = self._base_row(headers, name, offset)
        row[TEXT] = extract_text(body, self.extractor, rec.http_charset)
        row["http_status"] = _status(rec)
        row["content_type"] = content_type
        return row


def _status(rec) -> int | None:
    code = rec.http_headers.status_code
    return int(code) if code is not None else None


class WetReader(_WarcBase):
    """Read the ``conversion`` records of a WET file (Common Crawl's extracted text), one document each.

    Invalid UTF-8 is repaired with U+FFFD and counted in ``n_repaired``. Extra column: ``warc_date``.
    """

    format = "wet"

    def document(self, rec, headers: dict[str, str], name: str, offset: int) -> dict | str:
        body = self._text_payload(rec, headers)
        if rec.record_type != WarcRecordType.conversion:
            return _type_name(rec)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = body.decode("utf-8", errors="replace")
            self.n_repaired += 1
        row = self._base_row(headers, name, offset)
        row[TEXT] = text.strip()
        return row


__all__ = ["WarcReader", "WarcStream", "WetReader"]
