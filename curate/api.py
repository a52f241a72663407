"""Library entry points: read any supported input as batches, open a run as DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl

from curate.catalog import connect
from curate.io.files import detect_format, expand_inputs, relative_names
from curate.io.readers import make_reader
from curate.io.readers.base import FieldMap, UnreadableHandler


def read(
    path: str | list[str],
    *,
    format: str = "auto",
    layout: str = "default",
    batch_size: int = 10_000,
    on_unreadable: UnreadableHandler | None = None,
    **reader_options,
) -> Iterator[pl.DataFrame]:
    """Yield Polars batches (``id``, ``text``, ``url``, ``source``) from files, folders or globs.

    Example:
        >>> import curate
        >>> for batch in curate.read("sample_data/"):  # doctest: +SKIP
        ...     print(batch.height)
    """
    files = expand_inputs([path] if isinstance(path, str) else path, format)
    fields = FieldMap.for_layout(layout)
    for file, name in zip(files, relative_names(files), strict=False):
        fmt = format if format != "auto" else detect_format(file)
        reader = make_reader(fmt, fields=fields, batch_size=batch_size, on_unreadable=on_unreadable,
                             **reader_options)
        yield from reader.read(file, name)


def open(run_dir: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:  # noqa: A001
    """Open a run folder's catalog as a DuckDB connection, with its views, tables and macros.

    Views ``docs``, ``rejected``, ``all_docs`` (with ``kept``), ``unreadable``; tables ``runs``,
    ``stage_stats``, ``rules``, ``thresholds``; table macros ``funnel()``, ``reasons()``,
    ``why(id)``, ``sample_by_reason(n)``, ``sample_by_score(n)``, ``whatif(column, op, value)``,
    ``domains(n)``, ``languages(n)`` (see docs/sql.md). Works from any working directory and after
    the folder was moved.

    Example:
        >>> con = curate.open("out/textbook")  # doctest: +SKIP
        >>> con.sql("select reason, count(*) from rejected group by 1").pl()  # doctest: +SKIP
        >>> con.sql("select * from whatif('n_chars_stripped', '>=', 500)").pl()  # doctest: +SKIP
    """
    return connect(run_dir, read_only=read_only)
