"""Canonical column names shared by readers, stages, writers and the catalog."""

from __future__ import annotations

import polars as pl

ID = "id"
TEXT = "text"
URL = "url"
SOURCE = "source"
REASON = "reason"
STAGE = "stage"

#: Columns every batch carries, in this order, before any stage runs.
CANONICAL_SCHEMA: dict[str, pl.DataType] = {
    ID: pl.String(),
    TEXT: pl.String(),
    URL: pl.String(),
    SOURCE: pl.String(),
}


def empty_batch(extra: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """Return an empty batch with the canonical schema (plus ``extra`` columns)."""
    schema = dict(CANONICAL_SCHEMA)
    if extra:
        schema.update(extra)
    return pl.DataFrame(schema=schema)
