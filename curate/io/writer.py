"""Atomic Parquet shard writer: rows stream into a temp file that is renamed only when complete."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

#: Parquet compression for every file curate writes (zstd: small and fast to read).
COMPRESSION = "zstd"


def align(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Return ``df`` with exactly ``schema``'s columns, in order; missing ones are null."""
    exprs = []
    for name, dtype in schema.items():
        if name in df.columns:
            col = pl.col(name)
            exprs.append(col if df.schema[name] == dtype else col.cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return df.select(exprs)


def arrow_schema(schema: dict[str, pl.DataType]) -> pa.Schema:
    """Arrow schema for a Polars schema, with plain (large) strings that every Parquet reader knows."""
    return pl.DataFrame(schema=schema).to_arrow(compat_level=pl.CompatLevel.oldest()).schema


class ShardWriter:
    """Write batches to ``path`` via ``path.tmp``; ``close`` renames, ``abort`` removes the temp file.

    A file with zero rows is still written (with the schema) so that every completed shard has its
    file and SQL over ``kept/*.parquet`` never fails for want of files.
    """

    def __init__(self, path: str | Path, schema: dict[str, pl.DataType]):
        self.path = Path(path)
        # the pid keeps an orphaned writer of a killed run from clobbering the resumed run's file
        self.tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        self.schema = dict(schema)
        self._arrow = arrow_schema(self.schema)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self.tmp, self._arrow, compression=COMPRESSION)
        self.rows = 0

    def write(self, df: pl.DataFrame) -> None:
        """Append a batch (extra columns are an error: the schema is fixed when the shard starts)."""
        extra = set(df.columns) - set(self.schema)
        if extra:
            raise ValueError(f"batch has columns not in the output schema: {sorted(extra)}")
        if df.height == 0:
            return
        table = align(df, self.schema).to_arrow(compat_level=pl.CompatLevel.oldest())
        self._writer.write_table(table.cast(self._arrow))
        self.rows += df.height

    def close(self) -> Path:
        """Finish the file and move it into place atomically."""
        self._writer.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the partial file."""
        try:
            self._writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)
