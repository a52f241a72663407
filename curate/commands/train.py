"""``curate train``: fit an educational-value classifier on labelled data, evaluate it, save it with a card."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from curate.cli import _fail, _log_to_stderr, app, err_console, out_console


def _parse_params(items: list[str] | None) -> dict:
    params = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--param expects KEY=VALUE, got {item!r}")
        try:
            params[key.strip()] = json.loads(value)
        except ValueError:
            params[key.strip()] = value
    return params


@app.command()
def train(
    data: Annotated[list[str], typer.Argument(help="labelled data: annotation cache (.duckdb), JSONL or Parquet")],
    model_type: Annotated[str, typer.Option("--model-type", "-m", help="hashed_ngram, fasttext or embedding")] = "hashed_ngram",
    task: Annotated[str | None, typer.Option("--task", help="regression, classification or binary (default: from the labels)")] = None,
    name: Annotated[str | None, typer.Option("--name", help="save under classifiers/NAME/")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="save into this folder instead")] = None,
    test_size: Annotated[float, typer.Option("--test-size", min=0.0, max=0.9, help="held-out share")] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="split seed")] = 0,
    text_field: Annotated[str, typer.Option("--text-field", help="text column of label files")] = "text",
    score_field: Annotated[str, typer.Option("--score-field", help="0-5 score column of label files")] = "score",
    label_field: Annotated[str, typer.Option("--label-field", help="label column (used when there is no score)")] = "label",
    positive_label: Annotated[str, typer.Option("--positive-label", help="binary labels: this one → 5, others → 0")] = "hq",
    id_field: Annotated[str, typer.Option("--id-field", help="id column (joins --texts)")] = "id",
    texts: Annotated[list[str] | None, typer.Option("--texts", help="documents to join by id when label files hold no text")] = None,
    annotator_model: Annotated[str | None, typer.Option("--annotator-model", help="cache: only this LLM's answers")] = None,
    prompt_hash: Annotated[str | None, typer.Option("--prompt-hash", help="cache: only answers to this prompt")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="model parameter KEY=VALUE (repeatable), e.g. -p epoch=10")] = None,
    description: Annotated[str | None, typer.Option("--description", help="model card description")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log to stderr")] = False,
) -> None:
    """Train a 0-5 scorer on DATA with a held-out split; print and save metrics and a model card."""
    from curate.classifiers.data import load_labelled
    from curate.classifiers.metrics import format_report
    from curate.classifiers.training import model_card, save_metrics, train_and_evaluate
    from curate.errors import CurateError

    _log_to_stderr(verbose)
    if output is None:
        output = Path("classifiers") / (name or f"edu_{model_type}")
    name = name or output.name
    try:
        params = _parse_params(param)
        labelled = load_labelled(data, text_field=text_field, score_field=score_field, label_field=label_field,
                                 id_field=id_field, positive_label=positive_label,
                                 annotator_model=annotator_model, prompt_hash=prompt_hash, texts=texts)
        err_console.print(f"training {model_type} on {labelled.frame.height:,} labelled documents "
                          f"({', '.join(labelled.label_source)})", highlight=False)
        result = train_and_evaluate(labelled, model_type, task, params, test_size, seed)
    except (ValueError, TypeError, ImportError, FileNotFoundError, CurateError) as exc:
        _fail(str(exc))
    command = "curate train " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else None
    card = model_card(result, labelled, name, description, test_size, seed, command)
    result.classifier.save(output, card=card)
    save_metrics(result, output)
    if result.metrics:
        out_console.print(format_report(result.metrics, f"held-out evaluation of {name}"), highlight=False)
        for source, metrics in result.metrics_by_source.items():
            out_console.print(format_report(metrics, f"  source {source}"), highlight=False)
    else:
        err_console.print("[yellow]no held-out set (--test-size 0): no metrics[/]")
    err_console.print(f"[green]saved:[/] {output} (model.json, README.md model card, metrics.json)", highlight=False)
