"""Indexes of earlier corpora: signature Parquet files whose documents count as already kept.

An index folder holds ``meta.json`` (how the signatures were made) and ``signatures/*.parquet``
with columns ``id``, ``n_chars``, ``exact_text``, ``exact_url`` and ``band_00`` … (MinHash band
keys). A dedup stage given ``index:`` reads the files in its reduce step; new documents that fall
in a cluster with an index document are dropped with ``dup_of`` = the index document's id.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import polars as pl

from curate.dedup.signatures import MinHasher, exact_hashes, hash_fingerprint
from curate.dedup.text import exact_expr, url_expr

#: Bump when signatures or normalisation change: indexes of another version are refused.
INDEX_VERSION = 1


def band_columns(bands: int) -> list[str]:
    """Names of the MinHash band-key columns."""
    return [f"band_{i:02d}" for i in range(bands)]


def signature_frame(df: pl.DataFrame, hasher: MinHasher | None, exact: bool = True) -> pl.DataFrame:
    """Index rows for a batch of documents: id, n_chars, exact hashes and MinHash band keys."""
    text = pl.col("text").cast(pl.String)
    url = pl.col("url").cast(pl.String) if "url" in df.columns else pl.lit(None, dtype=pl.String)
    base = df.select(
        pl.col("id").cast(pl.String),
        text.str.len_chars().cast(pl.Int64).alias("n_chars"),
        exact_expr(text).alias("_text"),
        url_expr(url).alias("_url"),
    )
    out = base.select("id", "n_chars")
    if exact:
        out = out.with_columns(exact_text=exact_hashes(base["_text"]), exact_url=exact_hashes(base["_url"]))
    if hasher is not None:
        out = out.hstack(band_frame(df["text"], hasher))
    return out


def band_frame(texts: pl.Series, hasher: MinHasher) -> pl.DataFrame:
    """MinHash band keys as UInt64 columns ``band_00`` …, null for documents too short to shingle."""
    keys, has = hasher.band_keys(texts)
    names = band_columns(hasher.bands)
    frame = pl.DataFrame({name: keys[:, i] for i, name in enumerate(names)}, schema=dict.fromkeys(names, pl.UInt64))
    return frame.with_columns(pl.when(pl.Series(has)).then(pl.col(n)).alias(n) for n in names) if texts.len() else frame


def write_meta(folder: Path, hasher: MinHasher | None) -> None:
    """Write the index's ``meta.json`` (atomically)."""
    meta = {
        "version": INDEX_VERSION,
        "minhash": asdict(hasher) if hasher is not None else None,
        "word_hash": hash_fingerprint(),
    }
    tmp = folder / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2))
    os.replace(tmp, folder / "meta.json")


def open_index(path: str | Path, need: str, hasher: MinHasher | None = None) -> list[Path]:
    """The signature files of the index at ``path``, after checking it provides ``need`` columns."""
    folder = Path(path)
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(
            f"dedup index {folder} has no meta.json; build one with `curate dedup-index RUN_DIR --output {folder}`"
        )
    meta = json.loads(meta_path.read_text())
    if meta.get("version") != INDEX_VERSION:
        raise ValueError(
            f"dedup index {folder} has format version {meta.get('version')}, this curate reads version "
            f"{INDEX_VERSION}; rebuild it with `curate dedup-index`"
        )
    if need == "minhash":
        assert hasher is not None
        if meta.get("minhash") != asdict(hasher):
            raise ValueError(
                f"dedup index {folder} was built with MinHash {meta.get('minhash')}, this stage uses "
                f"{asdict(hasher)}; rebuild it with matching --ngrams/--bands/--rows/--seed"
            )
        if meta.get("word_hash") != hash_fingerprint():
            raise ValueError(
                f"dedup index {folder} was built with another word hash (another Polars version); "
                "rebuild it with `curate dedup-index`"
            )
    return sorted((folder / "signatures").glob("*.parquet"))
