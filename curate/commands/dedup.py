"""``curate dedup-index RUN_DIR --output INDEX``: signatures of a run's kept documents, for later dedup."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import polars as pl
import pyarrow.parquet as pq
import typer

from curate.cli import _fail, app, out_console

_BATCH = 10_000


def build_index(
    run_dir: Path, output: Path, *, n_grams: int = 5, num_buckets: int = 14, hashes_per_bucket: int = 8,
    seed: int = 1, overwrite: bool = False,
) -> tuple[int, int]:
    """Write an index of ``run_dir/kept`` (or of a folder of Parquet files) to ``output``; return (files, docs)."""
    from curate.dedup.index import signature_frame, write_meta
    from curate.dedup.signatures import MinHasher

    source = run_dir / "kept" if (run_dir / "kept").is_dir() else run_dir
    files = sorted(source.rglob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no Parquet files under {source}; pass a curate output folder (with kept/)")
    if output.exists() and any(output.iterdir()):
        if not overwrite:
            raise FileExistsError(f"index folder {output} is not empty; pass --overwrite to replace it")
        shutil.rmtree(output)
    sig_dir = output / "signatures"
    sig_dir.mkdir(parents=True, exist_ok=True)
    hasher = MinHasher(n_grams, num_buckets, hashes_per_bucket, seed)
    n_docs = 0
    for i, path in enumerate(files):
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
        if not {"id", "text"} <= names:
            raise ValueError(f"{path} has no id/text columns; is it a curate output?")
        columns = [c for c in ("id", "text", "url") if c in names]
        frames = []
        for batch in pf.iter_batches(batch_size=_BATCH, columns=columns):
            df = pl.from_arrow(batch)
            assert isinstance(df, pl.DataFrame)
            frames.append(signature_frame(df, hasher))
            n_docs += df.height
        out = sig_dir / f"part-{i:05d}.parquet"
        tmp = out.with_name(out.name + ".tmp")
        (pl.concat(frames) if frames else signature_frame(pl.DataFrame(schema={"id": pl.String, "text": pl.String}), hasher)).write_parquet(tmp)
        os.replace(tmp, out)
    write_meta(output, hasher)
    return len(files), n_docs


@app.command("dedup-index")
def dedup_index(
    run_dir: Annotated[Path, typer.Argument(help="a curate output folder (its kept/ documents are indexed)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="index folder to write")],
    n_grams: Annotated[int, typer.Option(help="MinHash words per shingle (match the stage's)")] = 5,
    num_buckets: Annotated[int, typer.Option(help="MinHash LSH bands (match the stage's)")] = 14,
    hashes_per_bucket: Annotated[int, typer.Option(help="MinHash rows per band (match the stage's)")] = 8,
    seed: Annotated[int, typer.Option(help="MinHash seed (match the stage's)")] = 1,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing index in OUTPUT")] = False,
) -> None:
    """Build a dedup index from RUN_DIR's kept documents; pass it as `index:` to exact_dedup / minhash_dedup."""
    try:
        n_files, n_docs = build_index(
            run_dir, output, n_grams=n_grams, num_buckets=num_buckets, hashes_per_bucket=hashes_per_bucket,
            seed=seed, overwrite=overwrite,
        )
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        _fail(str(exc))
        return
    out_console.print(f"indexed {n_docs:,} document(s) from {n_files} file(s) → {output}")
