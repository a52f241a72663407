"""What every reader shares: field mapping, batch assembly and the report of unreadable records."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from curate.schema import CANONICAL_SCHEMA, ID, SOURCE, TEXT, URL

log = logging.getLogger("curate.io")

#: Where the text / id / url live in well-known dataset layouts (dotted paths reach into objects).
LAYOUTS: dict[str, dict[str, str | None]] = {
    "default": {"text": "text", "id": "id", "url": "url"},
    "dolma": {"text": "text", "id": "id", "url": "metadata.url"},
    "fineweb": {"text": "text", "id": "id", "url": "url"},
    "c4": {"text": "text", "id": None, "url": "url"},
    "redpajama": {"text": "text", "id": None, "url": "meta.url"},
}


@dataclass(frozen=True)
class Unreadable:
    """A record (or the rest of a file) that could not be read, with where and why."""

    file: str
    offset: int | None
    error: str
    record: int | None = None

    def __str__(self) -> str:
        where = f"byte {self.offset}" if self.offset is not None else "unknown offset"
        rec = f", record {self.record}" if self.record is not None else ""
        return f"{self.file} ({where}{rec}): {self.error}"


@dataclass
class FieldMap:
    """Which input fields become ``text``, ``id`` and ``url`` (dotted paths), plus extra string columns."""

    text: str = "text"
    id: str | None = "id"
    url: str | None = "url"
    extra: dict[str, str] | None = None

    @classmethod
    def for_layout(cls, layout: str = "default", **overrides: str | None) -> FieldMap:
        """Field map of a named layout (``dolma``, ``fineweb``, ``c4``, ``redpajama``), with overrides."""
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; expected one of {sorted(LAYOUTS)}")
        fields = dict(LAYOUTS[layout])
        extra = overrides.pop("extra", None)
        fields.update({k: v for k, v in overrides.items() if v is not None})
        return cls(text=fields["text"], id=fields["id"], url=fields["url"], extra=extra or None)

    def columns(self) -> dict[str, str | None]:
        """Output column name → input path."""
        cols: dict[str, str | None] = {TEXT: self.text, ID: self.id, URL: self.url}
        cols.update(self.extra or {})
        return cols

    def output_schema(self) -> dict[str, pl.DataType]:
        """Schema of the batches a reader yields with this mapping."""
        schema = dict(CANONICAL_SCHEMA)
        for name in self.extra or {}:
            schema[name] = pl.String()
        return schema


def get_path(obj: object, path: str | None) -> object:
    """Value at a dotted ``path`` inside nested dicts, or None."""
    if path is None:
        return None
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def as_text(value: object) -> str | None:
    """A field value as a string column value (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    return str(value)


UnreadableHandler = Callable[[Unreadable], None]


def log_unreadable(item: Unreadable) -> None:
    """Default handler: log the unreadable record as a warning."""
    log.warning("unreadable: %s", item)


class Reader:
    """Base reader: ``reader.read(path)`` yields Polars batches with the canonical columns.

    Records that cannot be read are passed to ``on_unreadable`` with file and offset, never dropped
    silently. ``name`` (default: the path) is used in ``source`` and in derived ids, so ids are
    stable across runs and machines.
    """

    format: str = ""

    def __init__(
        self,
        fields: FieldMap | None = None,
        batch_size: int = 10_000,
        on_unreadable: UnreadableHandler | None = None,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.fields = fields or FieldMap()
        self.batch_size = batch_size
        self.on_unreadable = on_unreadable or log_unreadable
        self.bytes_read = 0  # raw bytes consumed of the current file, for progress
        #: input records that are not documents (e.g. WARC request records), by kind: counted, not lost
        self.skipped: dict[str, int] = {}

    def read(self, path: str, name: str | None = None) -> Iterator[pl.DataFrame]:
        """Yield batches of documents from ``path``."""
        raise NotImplementedError

    def __call__(self, path: str, name: str | None = None) -> Iterator[pl.DataFrame]:
        return self.read(path, name)

    def schema(self) -> dict[str, pl.DataType]:
        """Schema of the yielded batches."""
        return self.fields.output_schema()

    def frame(self, rows: dict[str, list]) -> pl.DataFrame:
        """Build a batch from column lists, in the reader's schema."""
        return pl.DataFrame(rows, schema=self.schema())


def derived_id(name: str, index: int) -> str:
    """Id for a record without one: its file name and position (stable across runs)."""
    return f"{name}/{index}"


def source_of(name: str, offset: int | str) -> str:
    """The ``source`` value: file name and record offset."""
    return f"{name}:{offset}"


__all__ = [
    "LAYOUTS", "FieldMap", "Reader", "Unreadable", "UnreadableHandler", "as_text", "derived_id",
    "get_path", "log_unreadable", "source_of", "SOURCE",
]
