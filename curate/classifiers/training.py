"""Train a classifier on labelled data with a held-out split, evaluate it, and write its model card."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from curate.classifiers.base import Classifier, int_score
from curate.classifiers.data import LabelledData
from curate.classifiers.metrics import evaluate

MODEL_TYPES = ("hashed_ngram", "fasttext", "embedding")


def make_classifier(model_type: str, task: str | None = None, **params: Any) -> Classifier:
    """A new, unfitted classifier of ``model_type`` (``hashed_ngram``, ``fasttext``, ``embedding``)."""
    if model_type == "hashed_ngram":
        from curate.classifiers.sklearn_model import HashedNgramClassifier as cls
    elif model_type == "fasttext":
        from curate.classifiers.fasttext_model import FastTextClassifier as cls
    elif model_type == "embedding":
        from curate.classifiers.embedding_model import EmbeddingClassifier as cls
    else:
        raise ValueError(f"unknown model type {model_type!r}; expected one of {MODEL_TYPES}")
    if task is not None:
        params["task"] = task
    return cls(**params)


def default_task(model_type: str, data: LabelledData) -> str:
    """``binary`` for two-valued labels; else ``classification`` for fastText, ``regression`` otherwise."""
    if data.binary_labels or data.frame["score"].n_unique() <= 2:
        return "binary"
    return "classification" if model_type == "fasttext" else "regression"


def split(frame: pl.DataFrame, test_size: float, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Held-out split, stratified by integer score where every score has at least two examples."""
    if not 0 <= test_size < 1:
        raise ValueError(f"test_size must be in [0, 1), got {test_size}")
    if test_size == 0 or frame.height < 4:
        return frame, frame.clear()
    from sklearn.model_selection import train_test_split

    strata = int_score(frame["score"].to_numpy())
    counts = np.bincount(strata, minlength=6)
    stratify = strata if counts[counts > 0].min() >= 2 else None
    idx_train, idx_test = train_test_split(np.arange(frame.height), test_size=test_size, random_state=seed,
                                           stratify=stratify)
    return frame[np.sort(idx_train)], frame[np.sort(idx_test)]


@dataclass
class TrainResult:
    """A fitted classifier, its held-out metrics (overall and per data source) and the split sizes."""

    classifier: Classifier
    metrics: dict | None
    metrics_by_source: dict[str, dict] = field(default_factory=dict)
    n_train: int = 0
    n_test: int = 0
    predictions: pl.DataFrame | None = None


def train_and_evaluate(data: LabelledData, model_type: str = "hashed_ngram", task: str | None = None,
                       params: dict[str, Any] | None = None, test_size: float = 0.2, seed: int = 0) -> TrainResult:
    """Split ``data``, fit a ``model_type`` classifier on the training part, evaluate on the rest.

    Example:
        >>> data = load_labelled(["labels.jsonl"])  # doctest: +SKIP
        >>> result = train_and_evaluate(data, "fasttext", test_size=0.2)  # doctest: +SKIP
        >>> result.metrics["f1"]  # doctest: +SKIP
    """
    task = task or default_task(model_type, data)
    clf = make_classifier(model_type, task, **(params or {}))
    train, test = split(data.frame, test_size, seed)
    clf.fit(train["text"].to_list(), train["score"].to_list())
    result = TrainResult(clf, None, n_train=train.height, n_test=test.height)
    if test.height:
        pred = clf.predict(test["text"].to_list())
        result.predictions = test.select("id", "source", "score").with_columns(
            pl.Series("predicted", pred, dtype=pl.Float64))
        result.metrics = evaluate(test["score"].to_numpy(), pred)
        if test["source"].n_unique() > 1:
            for (source,), part in result.predictions.group_by("source", maintain_order=True):
                if part.height >= 2:
                    result.metrics_by_source[str(source)] = evaluate(part["score"].to_numpy(),
                                                                     part["predicted"].to_numpy())
    return result


def model_card(result: TrainResult, data: LabelledData, name: str, description: str | None = None,
               test_size: float = 0.2, seed: int = 0, command: str | None = None) -> dict[str, Any]:
    """Model-card fields for ``Classifier.save``: provenance, label source, split and metrics."""
    scores = int_score(data.frame["score"].to_numpy())
    dist = {str(k): int(v) for k, v in enumerate(np.bincount(scores, minlength=6))}
    card: dict[str, Any] = {
        "name": name,
        "description": description or f"{result.classifier.kind} model ({result.classifier.task}) "
                                      f"scoring educational value on a 0-5 scale.",
        "data": [f"{p['path']}: {p['rows']:,} labelled rows ({p['kind']})" for p in data.provenance]
        + [f"after dropping empty and duplicate texts: {data.frame.height:,} examples; integer-score "
           f"distribution {json.dumps(dist)}",
           f"held-out split: {result.n_train:,} train / {result.n_test:,} test "
           f"(test_size={test_size}, seed={seed}, stratified by integer score)"],
        "labels": data.label_source,
    }
    if result.metrics:
        card["metrics"] = result.metrics
    if result.metrics_by_source:
        card["metrics_by_source"] = result.metrics_by_source
    if command:
        card["reproduce"] = f"```\n{command}\n```"
    return card


def save_metrics(result: TrainResult, path: str | Path) -> None:
    """Write ``metrics.json`` (overall and per source) into the model folder."""
    payload = {"n_train": result.n_train, "n_test": result.n_test, "metrics": result.metrics,
               "metrics_by_source": result.metrics_by_source}
    (Path(path) / "metrics.json").write_text(json.dumps(payload, indent=2) + "\n")
