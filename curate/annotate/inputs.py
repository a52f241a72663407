"""Reading documents to annotate or score from any input curate reads, with optional extra fields."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from curate.io.files import detect_format, expand_inputs, relative_names
from curate.io.readers import make_reader
from curate.io.readers.base import FieldMap, UnreadableHandler

#: Stratification columns computed from canonical ones rather than read from the input.
DERIVED = {
    "domain": pl.col("url").str.extract(r"^[A-Za-z][\w+.-]*://(?:www\.)?([^/:?#]+)", 1).str.to_lowercase(),
    "file": pl.col("source").str.replace(r":[^:]*$", ""),
}


def read_documents(inputs: str | list[str], *, layout: str = "default", fields: list[str] | None = None,
                   format: str = "auto", batch_size: int = 10_000,
                   on_unreadable: UnreadableHandler | None = None) -> Iterator[pl.DataFrame]:
    """Yield batches (``id``, ``text``, ``url``, ``source`` + ``fields``) from files, folders or globs.

    ``fields`` are extra input fields (dotted paths allowed, e.g. ``metadata.lang``) read as string
    columns named by their path; ``domain`` (from ``url``) and ``file`` (from ``source``) are computed.
    """
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    wanted = [f for f in (fields or []) if f not in DERIVED and f not in ("id", "text", "url", "source")]
    derived = [f for f in (fields or []) if f in DERIVED]
    fmap = FieldMap.for_layout(layout, extra={f: f for f in wanted} or None)
    files = expand_inputs(inputs, format)
    for file, name in zip(files, relative_names(files), strict=True):
        fmt = format if format != "auto" else detect_format(file)
        reader = make_reader(fmt, fields=fmap, batch_size=batch_size, on_unreadable=on_unreadable)
        for batch in reader.read(file, name):
            yield batch.with_columns(DERIVED[f].alias(f) for f in derived) if derived else batch
