"""`curate train` and `curate score` from label files: scores, DCLM-style binary labels, ids joined to texts."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest

from curate.classifiers import load_classifier
from curate.classifiers.data import load_labelled
from tests.commands.llm_server import keyword_score
from tests.commands.test_annotate import curate
from tests.conftest import shared

DOLMA = ("web_text", "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")


@pytest.fixture(scope="module")
def dolma_rows():
    with gzip.open(shared(*DOLMA), "rt") as fh:
        return [json.loads(line) for line in fh]


def test_train_from_jsonl_scores_prints_and_saves_evaluation(tmp_path, dolma_rows):
    labels = tmp_path / "labels.jsonl"
    pl.DataFrame({"text": [r["text"] for r in dolma_rows],
                  "score": [float(keyword_score(r["text"])) for r in dolma_rows]}).write_ndjson(labels)
    out = tmp_path / "m"
    res = curate("train", labels, "-m", "hashed_ngram", "--task", "classification", "--output", out,
                 "-p", "n_features=65536", "--description", "test model")
    assert res.returncode == 0, res.stderr
    for figure in ("precision", "recall", "F1", "macro-F1", "Spearman", "ROC AUC", "confusion matrix"):
        assert figure in res.stdout
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["n_test"] > 100 and set(saved["metrics"]) >= {"f1", "macro_f1", "spearman", "confusion_matrix"}
    card = (out / "README.md").read_text()
    assert "test model" in card and "labels.jsonl" in card and "numeric `score`" in card
    assert "curate train" in card  # how to reproduce it
    clf = load_classifier(out)
    assert clf.task == "classification" and clf.n_features == 65536


def test_train_fasttext_on_dclm_style_labels(tmp_path, dolma_rows):
    labels = tmp_path / "labels.parquet"
    pl.DataFrame({"text": [r["text"] for r in dolma_rows],
                  "label": ["__label__hq" if keyword_score(r["text"]) >= 3 else "__label__cc"
                            for r in dolma_rows]}).write_parquet(labels)
    out = tmp_path / "ft"
    res = curate("train", labels, "-m", "fasttext", "--output", out,
                 "-p", "dim=16", "-p", "bucket=20000", "-p", "epoch=20")
    assert res.returncode == 0, res.stderr
    clf = load_classifier(out)
    assert clf.task == "binary" and (out / "model.bin").is_file()
    assert "'hq' → 5" in (out / "README.md").read_text()


def test_label_file_with_ids_only_is_joined_to_texts(tmp_path, dolma_rows):
    labels = tmp_path / "ids.jsonl"
    pl.DataFrame({"id": [r["id"] for r in dolma_rows[:300]],
                  "score": [float(keyword_score(r["text"])) for r in dolma_rows[:300]],
                  "justification": ["..."] * 300}).write_ndjson(labels)
    data = load_labelled([labels], texts=[str(shared(*DOLMA))], layout="dolma")
    assert data.frame.height > 250 and data.frame["text"].null_count() == 0
    assert "joined by id" in data.label_source[0]


def test_train_errors_name_the_problem(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "rating": 3}\n')
    res = curate("train", bad, "--output", tmp_path / "m")
    assert res.returncode == 2 and "--score-field" in res.stderr
    res = curate("score", "--input", str(shared(*DOLMA)), "--output", tmp_path / "s.parquet",
                 "--model", tmp_path / "missing")
    assert res.returncode == 2 and "classifier not found" in res.stderr
