"""``curate annotate``: score documents with an LLM through any OpenAI-compatible endpoint, cached in DuckDB."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from curate.cli import _fail, _log_to_stderr, app, err_console


@app.command()
def annotate(
    input: Annotated[list[str], typer.Option("--input", "-i", help="documents: file, folder or glob (repeatable)")],
    endpoint: Annotated[str, typer.Option("--endpoint", help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1")],
    model: Annotated[str, typer.Option("--model", help="model name sent to the endpoint (part of the cache key)")],
    cache: Annotated[Path, typer.Option("--cache", help="DuckDB file of answers: the resume state and training data")] = Path("annotations.duckdb"),
    prompt: Annotated[Path | None, typer.Option("--prompt", help="rubric file ({text} marks the document); default: built-in 0-5 educational rubric")] = None,
    api_key_env: Annotated[str, typer.Option("--api-key-env", help="environment variable holding the API key (unset: no key sent)")] = "OPENAI_API_KEY",
    sample: Annotated[int | None, typer.Option("--sample", min=1, help="annotate a reproducible sample of N documents")] = None,
    stratify_by: Annotated[str | None, typer.Option("--stratify-by", help="input field to stratify the sample by (or 'domain', 'file')")] = None,
    allocation: Annotated[str, typer.Option("--allocation", help="balanced (equal per stratum) or proportional")] = "balanced",
    seed: Annotated[int, typer.Option("--seed", help="sampling seed")] = 0,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="concurrent requests")] = 4,
    rate: Annotated[float | None, typer.Option("--rate", min=0.001, help="max requests per second (default: unlimited)")] = None,
    max_retries: Annotated[int, typer.Option("--max-retries", min=0, help="retries on 429/5xx/network errors")] = 5,
    backoff: Annotated[float, typer.Option("--backoff", min=0.0, help="first retry delay in seconds (doubles each retry)")] = 1.0,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="seconds per request")] = 120.0,
    max_chars: Annotated[int, typer.Option("--max-chars", min=1, help="cut documents to this many characters")] = 10_000,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="answer length limit")] = 512,
    temperature: Annotated[float, typer.Option("--temperature", help="sampling temperature")] = 0.0,
    layout: Annotated[str, typer.Option("--layout", help="input field layout: default, dolma, fineweb, c4, redpajama")] = "default",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="also export the labels (.parquet or .jsonl)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log to stderr")] = False,
) -> None:
    """Score documents 0-5 with an LLM; every answer is cached, so a rerun resumes and never pays twice."""
    import polars as pl

    from curate.annotate import (
        AnnotateStats,
        AnnotationCache,
        Annotator,
        ChatClient,
        FatalEndpointError,
        builtin_prompt,
        load_prompt,
        stratified_sample,
    )
    from curate.annotate.inputs import read_documents
    from curate.annotate.sample import STRATUM
    from curate.errors import CurateError

    _log_to_stderr(verbose)
    try:
        rubric = load_prompt(prompt) if prompt else builtin_prompt()
        client = ChatClient(endpoint, model, api_key=os.environ.get(api_key_env) or None,
                            temperature=temperature, max_tokens=max_tokens, timeout=timeout,
                            max_retries=max_retries, backoff=backoff, rate=rate)
        store = AnnotationCache(cache)
    except (OSError, ValueError, RuntimeError) as exc:
        _fail(str(exc))
    fields = [stratify_by] if stratify_by else None
    stats = AnnotateStats()
    last = [0.0]

    def progress(s: AnnotateStats) -> None:
        now = time.monotonic()
        if now - last[0] >= 2.0:
            last[0] = now
            err_console.print(f"  {s.n_ok + s.n_unparsed:,} answered this run, {s.n_failed:,} failed, "
                              f"{s.prompt_tokens + s.completion_tokens:,} tokens", highlight=False)

    annotator = Annotator(client, store, rubric, workers=workers, max_chars=max_chars, on_answer=progress)
    seen_hashes: list[str] = []
    err_console.print(f"annotating with {model} at {client.url}; prompt {rubric.name} ({rubric.hash}); "
                      f"cache {cache}", highlight=False)
    try:
        batches = read_documents(input, layout=layout, fields=fields)
        if sample is not None:
            docs = stratified_sample(batches, sample, stratify_by, seed=seed, allocation=allocation)
            if stratify_by:
                counts = docs.group_by(STRATUM).len().sort(STRATUM)
                err_console.print("sample by " + stratify_by + ": " + ", ".join(
                    f"{k}={n}" for k, n in counts.iter_rows()), highlight=False)
            batches = iter([docs])
        for batch in batches:
            if stratify_by and sample is None:
                batch = batch.with_columns(pl.col(stratify_by).alias(STRATUM))
            seen_hashes.extend(annotator.prepare(batch)["text_hash"].to_list() if output else [])
            annotator.annotate(batch, stats)
    except FatalEndpointError as exc:
        annotator.close()
        _fail(f"{exc}\n{stats.summary()}")
    except KeyboardInterrupt:
        annotator.close()
        err_console.print(f"[yellow]interrupted[/]: {stats.summary()}\nrerun the same command to resume "
                          "(answers so far are cached)", highlight=False)
        raise typer.Exit(130) from None
    except (CurateError, ValueError, OSError) as exc:
        annotator.close()
        _fail(str(exc))
    totals = store.totals()
    if output is not None:
        _export(store, model, rubric.hash, seen_hashes, output)
    store.close()
    err_console.print(f"[green]done:[/] {stats.summary()}", highlight=False)
    err_console.print(f"cache {cache}: {totals['answers']:,} answers ({totals['scored']:,} scored), "
                      f"{totals['prompt_tokens'] + totals['completion_tokens']:,} tokens in total", highlight=False)
    for line in stats.errors[:5]:
        err_console.print(f"  failed: {line}", highlight=False)
    if stats.n_failed:
        err_console.print(f"[yellow]{stats.n_failed} request(s) failed[/]; rerun to retry only those", highlight=False)
        raise typer.Exit(1)


def _export(store, model: str, prompt_hash: str, hashes: list[str], output: Path) -> None:
    import polars as pl

    from curate.classifiers.base import int_score

    labels = store.labels(model=model, prompt_hash=prompt_hash, hashes=sorted(set(hashes)))
    labels = labels.rename({"doc_id": "id"}).with_columns(
        pl.Series("int_score", int_score(labels["score"].to_numpy()), dtype=pl.Int64))
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix in (".parquet", ".pq"):
        labels.write_parquet(output)
    else:
        labels.write_ndjson(output)
    err_console.print(f"labels: {labels.height:,} rows → {output}", highlight=False)
