"""Readers: iterators of Polars batches of documents, one module per input format."""

from __future__ import annotations

import importlib

from curate.io.readers.base import LAYOUTS, FieldMap, Reader, Unreadable

_READERS = {
    "jsonl": "curate.io.readers.jsonl:JsonlReader",
    "parquet": "curate.io.readers.parquet:ParquetReader",
    "warc": "curate.io.readers.warc:WarcReader",
    "wet": "curate.io.readers.warc:WetReader",
}


def reader_class(fmt: str) -> type[Reader]:
    """The reader class for a format name (``jsonl``, ``parquet``, ``warc``, ``wet``)."""
    if fmt not in _READERS:
        raise ValueError(f"unknown input format {fmt!r}; expected one of {sorted(_READERS)}")
    module, _, attr = _READERS[fmt].partition(":")
    return getattr(importlib.import_module(module), attr)


def make_reader(fmt: str, **kwargs) -> Reader:
    """Build a reader for ``fmt``; keyword arguments go to its constructor."""
    return reader_class(fmt)(**kwargs)


__all__ = ["LAYOUTS", "FieldMap", "Reader", "Unreadable", "make_reader", "reader_class"]
