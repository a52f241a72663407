"""``curate score``: write ``id, score, int_score`` for every input document (no filtering)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli import _fail, app, err_console


@app.command()
def score(
    input: Annotated[list[str], typer.Option("--input", "-i", help="documents: file, folder or glob (repeatable)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Parquet file to write (id, score, int_score)")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="classifier folder (default: classifiers/edu_default)")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="documents per batch")] = 10_000,
    layout: Annotated[str, typer.Option("--layout", help="input field layout: default, dolma, fineweb, c4, redpajama")] = "default",
) -> None:
    """Score every document of INPUT with a classifier; write id, score (0-5 float), int_score."""
    import numpy as np
    import polars as pl
    import pyarrow.parquet as pq

    from curate.annotate.inputs import read_documents
    from curate.errors import CurateError
    from curate.stages.edu import EduScore

    try:
        stage = EduScore(model=model, min_int_score=None)
        stage.classifier  # load now, so a bad path fails before reading any input  # noqa: B018
    except (FileNotFoundError, ValueError, ImportError) as exc:
        _fail(str(exc))
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    schema = pl.DataFrame(schema={"id": pl.String, "score": pl.Float64, "int_score": pl.Int64}).to_arrow().schema
    n, hist, total = 0, np.zeros(6, dtype=np.int64), 0.0
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for batch in read_documents(input, layout=layout, batch_size=batch_size):
                scored = stage.compute(batch.select("id", "text")).select("id", "score", "int_score")
                writer.write_table(scored.to_arrow().cast(schema))
                n += scored.height
                total += float(scored["score"].sum() or 0.0)
                hist += np.bincount(scored["int_score"].to_numpy(), minlength=6)[:6]
    except (CurateError, ValueError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        _fail(str(exc))
    tmp.replace(output)
    share = hist[3:].sum() / n if n else 0.0
    err_console.print(f"[green]scored[/] {n:,} documents with {stage.model_path} → {output}; mean score "
                      f"{total / n if n else 0:.2f}; int_score counts 0-5: {hist.tolist()}; "
                      f"int_score>=3: {share:.1%}", highlight=False)
