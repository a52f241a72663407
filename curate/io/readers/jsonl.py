"""JSON Lines reader (plain, .gz, .zst): a fast Polars path per batch, a per-line path for bad lines."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator

import polars as pl

from curate.io.files import open_input
from curate.io.readers.base import (
    Reader,
    Unreadable,
    as_text,
    derived_id,
    get_path,
    log,
    source_of,
)
from curate.schema import ID, SOURCE, TEXT

try:  # zstandard raises its own error type on corrupt frames
    from zstandard import ZstdError
except ImportError:  # pragma: no cover
    ZstdError = OSError  # type: ignore[misc,assignment]

_STREAM_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, ZstdError, OSError)


def _nested_schema(paths: list[str]) -> dict[str, pl.DataType]:
    tree: dict = {}
    for path in paths:
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"field path {path!r} conflicts with another field mapping")
        node.setdefault(parts[-1], None)

    def to_dtype(node):
        if node is None:
            return pl.String()
        return pl.Struct({k: to_dtype(v) for k, v in node.items()})

    return {k: to_dtype(v) for k, v in tree.items()}


def _path_expr(path: str) -> pl.Expr:
    parts = path.split(".")
    expr = pl.col(parts[0])
    for part in parts[1:]:
        expr = expr.struct.field(part)
    return expr


class JsonlReader(Reader):
    """Read JSON Lines documents; each non-blank line must be a JSON object with a text field.

    A line that is not valid JSON, not an object, or has no text is reported as unreadable with its
    line number and byte offset (in the decompressed stream). Invalid UTF-8 is repaired with U+FFFD
    and counted in ``n_repaired``. A truncated or corrupt compressed stream ends the file with one
    unreadable report at the offset where decompression failed; the lines before it are kept.
    """

    format = "jsonl"

    def read(self, path: str, name: str | None = None) -> Iterator[pl.DataFrame]:
        """Yield batches of documents from the JSONL file at ``path``."""
        name = name or path
        self.n_repaired = 0
        columns = self.fields.columns()
        paths = [p for p in columns.values() if p is not None]
        self._schema_in = _nested_schema(paths)
        self._exprs = [
            (_path_expr(p) if p is not None else pl.lit(None, dtype=pl.String)).cast(pl.String).alias(c)
            for c, p in columns.items()
        ]
        opened = open_input(path)
        try:
            lines: list[bytes] = []
            starts: list[tuple[int, int]] = []  # (line number, byte offset)
            offset, lineno = 0, 0
            stream = opened.stream
            while True:
                try:
                    line = stream.readline()
                except _STREAM_ERRORS as exc:
                    self.on_unreadable(
                        Unreadable(name, offset, f"compressed stream is corrupt or truncated: {exc}", lineno + 1)
                    )
                    break
                if not line:
                    break
                lineno += 1
                if line.strip():
                    lines.append(line)
                    starts.append((lineno, offset))
                offset += len(line)
                if len(lines) >= self.batch_size:
                    self.bytes_read = opened.counter.bytes_read
                    yield from self._emit(lines, starts, name)
                    lines, starts = [], []
            if lines:
                self.bytes_read = opened.counter.bytes_read
                yield from self._emit(lines, starts, name)
            self.bytes_read = opened.counter.bytes_read
        finally:
            opened.close()
        if self.n_repaired:
            log.warning("%s: repaired invalid UTF-8 in %d record(s) with U+FFFD", name, self.n_repaired)

    def _emit(self, lines: list[bytes], starts: list[tuple[int, int]], name: str) -> Iterator[pl.DataFrame]:
        try:
            parsed = pl.read_ndjson(io.BytesIO(b"".join(lines)), schema=self._schema_in)
            if parsed.height != len(lines):
                raise ValueError("line count mismatch")
            df = parsed.select(self._exprs)
        except Exception:
            df = self._slow(lines, starts, name)
            starts = self._slow_starts
        else:
            df = df.with_columns(pl.Series("_line", [s[0] for s in starts], dtype=pl.Int64))
        if df.height == 0:
            return
        missing = df.filter(pl.col(TEXT).is_null())
        for line in missing["_line"].to_list():
            off = dict(starts)[line]
            self.on_unreadable(Unreadable(name, off, f"no text field {self.fields.text!r}", line))
        df = df.filter(pl.col(TEXT).is_not_null())
        df = df.with_columns(
            pl.when(pl.col(ID).is_null())
            .then(pl.format("{}/{}", pl.lit(name), pl.col("_line")))
            .otherwise(pl.col(ID))
            .alias(ID),
            pl.format("{}:{}", pl.lit(name), pl.col("_line")).alias(SOURCE),
        ).drop("_line")
        if df.height:
            yield df.select(list(self.schema()))

    def _slow(self, lines: list[bytes], starts: list[tuple[int, int]], name: str) -> pl.DataFrame:
        rows: dict[str, list] = {c: [] for c in self.fields.columns()}
        rows["_line"] = []
        kept_starts = []
        for raw, (line, off) in zip(lines, starts, strict=False):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
                self.n_repaired += 1
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                self.on_unreadable(Unreadable(name, off, f"invalid JSON: {exc.msg} at column {exc.colno}", line))
                continue
            if not isinstance(obj, dict):
                kind = type(obj).__name__
                self.on_unreadable(Unreadable(name, off, f"JSON line is a {kind}, not an object", line))
                continue
            for col, p in self.fields.columns().items():
                rows[col].append(as_text(get_path(obj, p)))
            rows["_line"].append(line)
            kept_starts.append((line, off))
        self._slow_starts = kept_starts
        schema = dict(self.schema())
        schema.pop(SOURCE)
        schema["_line"] = pl.Int64()
        return pl.DataFrame(rows, schema=schema)


__all__ = ["JsonlReader", "derived_id", "source_of"]
