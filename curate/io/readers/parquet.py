"""Parquet reader: streams row batches with pyarrow, maps fields, derives ids from row positions."""

from __future__ import annotations

from collections.abc import Iterator

import fsspec
import polars as pl
import pyarrow.parquet as pq

from curate.io.readers.base import Reader, Unreadable
from curate.schema import ID, SOURCE, TEXT


def _expr(path: str | None) -> pl.Expr:
    if path is None:
        return pl.lit(None, dtype=pl.String)
    parts = path.split(".")
    expr = pl.col(parts[0])
    for part in parts[1:]:
        expr = expr.struct.field(part)
    return expr


class ParquetReader(Reader):
    """Read documents from a Parquet file, one row group batch at a time (bounded memory).

    Rows with a null text are reported as unreadable (``no text field``); a corrupt file is reported
    once, with the row where reading stopped.
    """

    format = "parquet"

    def read(self, path: str, name: str | None = None) -> Iterator[pl.DataFrame]:
        """Yield batches of documents from the Parquet file at ``path``."""
        name = name or path
        columns = self.fields.columns()
        with fsspec.open(path, "rb") as f:
            try:
                pf = pq.ParquetFile(f)
            except Exception as exc:
                self.on_unreadable(Unreadable(name, 0, f"not a readable Parquet file: {exc}", 0))
                return
            top = {p.split(".")[0] for p in columns.values() if p is not None}
            available = set(pf.schema_arrow.names)
            if self.fields.text.split(".")[0] not in available:
                raise ValueError(
                    f"{name}: text field {self.fields.text!r} is not a column; columns are "
                    f"{sorted(available)} (set input.text_field or input.layout)"
                )
            wanted = sorted(top & available)
            exprs = [
                (_expr(p) if p is not None and p.split(".")[0] in available else pl.lit(None, dtype=pl.String))
                .cast(pl.String)
                .alias(c)
                for c, p in columns.items()
            ]
            row = 0
            try:
                for batch in pf.iter_batches(batch_size=self.batch_size, columns=wanted):
                    df = pl.from_arrow(batch)
                    assert isinstance(df, pl.DataFrame)
                    df = df.select(exprs).with_columns(
                        pl.int_range(row, row + df.height, dtype=pl.Int64).alias("_row")
                    )
                    row += df.height
                    self.bytes_read = f.tell() if hasattr(f, "tell") else 0
                    for r in df.filter(pl.col(TEXT).is_null())["_row"].to_list():
                        self.on_unreadable(Unreadable(name, None, f"no text in field {self.fields.text!r}", r))
                    df = df.filter(pl.col(TEXT).is_not_null()).with_columns(
                        pl.coalesce(pl.col(ID), pl.format("{}/{}", pl.lit(name), pl.col("_row"))).alias(ID),
                        pl.format("{}:{}", pl.lit(name), pl.col("_row")).alias(SOURCE),
                    )
                    if df.height:
                        yield df.select(list(self.schema()))
            except Exception as exc:  # corrupt pages: report where we stopped, keep what was read
                self.on_unreadable(Unreadable(name, None, f"Parquet read failed after row {row}: {exc}", row))
