"""Opening local or fsspec paths with transparent decompression, and expanding input globs."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

import fsspec

from curate.errors import InputError

#: File name endings we can read, by format.
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "wet": (".wet", ".wet.gz", ".warc.wet", ".warc.wet.gz"),
    "warc": (".warc", ".warc.gz", ".arc.gz"),
    "jsonl": (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".json.gz", ".json.zst", ".ndjson",
              ".ndjson.gz", ".ndjson.zst"),
    "parquet": (".parquet", ".pq"),
}


def detect_format(path: str) -> str | None:
    """Return the reader format a file name implies (``jsonl``, ``parquet``, ``warc``, ``wet``) or None."""
    lower = path.lower()
    for fmt, suffixes in FORMAT_SUFFIXES.items():  # wet before warc: ".warc.wet.gz"
        if lower.endswith(suffixes):
            return fmt
    return None


def _compression(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(".gz"):
        return "gzip"
    if lower.endswith(".zst"):
        return "zstd"
    return None


class CountingReader(io.RawIOBase):
    """Wrap a binary file and count the raw (compressed) bytes read, for progress in MB/s."""

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.bytes_read += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class OpenedInput:
    """A decompressed binary stream plus the counter of raw bytes consumed."""

    stream: IO[bytes]
    counter: CountingReader

    def close(self) -> None:
        """Close the stream and the underlying file."""
        try:
            self.stream.close()
        finally:
            self.counter.close()


def open_input(path: str) -> OpenedInput:
    """Open ``path`` (local or fsspec URL) for binary reading, decompressing .gz / .zst by name."""
    try:
        raw = fsspec.open(path, "rb").open()
    except FileNotFoundError:
        raise InputError(f"input file not found: {path}") from None
    counter = CountingReader(raw)
    buffered = io.BufferedReader(counter, buffer_size=1 << 20)
    comp = _compression(path)
    if comp == "gzip":
        stream: IO[bytes] = gzip.GzipFile(fileobj=buffered, mode="rb")
    elif comp == "zstd":
        import zstandard

        stream = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
        stream = io.BufferedReader(stream, buffer_size=1 << 20)  # type: ignore[arg-type]
    else:
        stream = buffered
    return OpenedInput(stream=stream, counter=counter)


def file_size(path: str) -> int:
    """Size in bytes of ``path`` (0 if unknown)."""
    try:
        fs, p = fsspec.core.url_to_fs(path)
        return int(fs.size(p) or 0)
    except Exception:
        return 0


def expand_inputs(patterns: Iterable[str], fmt: str = "auto") -> list[str]:
    """Expand paths, directories and globs (local or fsspec) into a sorted, de-duplicated file list.

    A directory contributes every readable file below it. A pattern that matches nothing, or a
    directory with no readable files, is an error naming the pattern.
    """
    files: list[str] = []
    for pattern in patterns:
        fs, _ = fsspec.core.url_to_fs(pattern)
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        prefix = "" if protocol in ("file", "local") else f"{protocol}://"
        if any(ch in pattern for ch in "*?["):
            matches = sorted(fs.glob(pattern))
            matches = [m for m in matches if not fs.isdir(m)]
            if not matches:
                raise InputError(f"input pattern {pattern!r} matches no files")
        elif fs.isdir(pattern):
            matches = sorted(p for p in fs.find(pattern) if fmt != "auto" or detect_format(p))
            if not matches:
                known = ", ".join(s for v in FORMAT_SUFFIXES.values() for s in v)
                raise InputError(f"input directory {pattern!r} holds no readable files (looked for {known})")
        elif fs.exists(pattern):
            matches = [pattern]
        else:
            raise InputError(f"input path does not exist: {pattern!r}")
        for m in matches:
            full = m if (not prefix or m.startswith(prefix)) else prefix + m
            if not prefix and not os.path.isabs(full) and os.path.isabs(m):
                full = m
            files.append(full)
    seen: set[str] = set()
    unique = [f for f in files if not (f in seen or seen.add(f))]
    for f in unique:
        if fmt == "auto" and detect_format(f) is None:
            raise InputError(
                f"cannot tell the format of {f!r} from its name; set input.format "
                "(jsonl, parquet, warc or wet) in the pipeline file"
            )
    return unique


def relative_names(files: list[str]) -> list[str]:
    """Stable short names for input files: their paths relative to the deepest common folder."""
    if not files:
        return []
    stripped = [f.split("://", 1)[-1] for f in files]
    if len(stripped) == 1:
        return [os.path.basename(stripped[0])]
    common = os.path.commonpath([os.path.dirname(s) or "." for s in stripped])
    return [os.path.relpath(s, common) if common else s for s in stripped]
