"""The classifier contract: fit / predict / save / load, the same for hashed n-grams and fastText."""

from __future__ import annotations

import gzip
import json
import pickle
import sys
import types

import numpy as np
import pytest

from curate.classifiers import (
    FastTextClassifier,
    HashedNgramClassifier,
    NotFittedError,
    evaluate,
    load_classifier,
)
from curate.classifiers.fasttext_model import fasttext_for_training
from tests.commands.llm_server import keyword_score
from tests.conftest import shared

FAST_FT = {"dim": 16, "bucket": 20_000, "epoch": 30, "lr": 0.2, "min_count": 1}


@pytest.fixture(scope="module")
def labelled():
    """Real web documents with a learnable stand-in label (the fake LLM's keyword rule)."""
    path = shared("web_text", "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
    with gzip.open(path, "rt") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    texts = [t for t in dict.fromkeys(texts) if t.strip()]
    scores = np.array([keyword_score(t) for t in texts], dtype=float)
    return texts[:450], scores[:450], texts[450:], scores[450:]


MODELS = [
    lambda: HashedNgramClassifier(task="regression"),
    lambda: HashedNgramClassifier(task="classification", n_features=2**16),
    lambda: HashedNgramClassifier(task="binary"),
    lambda: HashedNgramClassifier(task="regression", solver="sgd"),
    lambda: FastTextClassifier(task="binary", **FAST_FT),
    lambda: FastTextClassifier(task="classification", **FAST_FT),
]


@pytest.mark.parametrize("make", MODELS, ids=["hn-reg", "hn-cls", "hn-bin", "hn-sgd", "ft-bin", "ft-cls"])
def test_fit_predict_save_load_roundtrip(make, labelled, tmp_path):
    train_x, train_y, test_x, test_y = labelled
    clf = make()
    params = clf.get_params()
    assert clf.fit(train_x, train_y) is clf
    assert clf.get_params() == params  # hyperparameters are stored unchanged
    pred = clf.predict(test_x)
    assert pred.shape == (len(test_x),) and pred.dtype == np.float64
    assert np.all((pred >= 0) & (pred <= 5))
    metrics = evaluate(test_y, pred)
    assert metrics["spearman"] > 0.25 and metrics["roc_auc"] > 0.75  # it learned something real
    folder = clf.save(tmp_path / "m", card={"name": "t", "labels": "keyword rule"})
    meta = json.loads((folder / "model.json").read_text())
    assert meta["kind"] == clf.kind and meta["params"]["task"] == clf.task
    assert "keyword rule" in (folder / "README.md").read_text()
    again = load_classifier(folder)
    assert type(again) is type(clf)
    assert np.allclose(again.predict(test_x), pred)
    assert np.allclose(pickle.loads(pickle.dumps(again)).predict(test_x[:20]), pred[:20])
    assert again.predict([]).shape == (0,)


def test_binary_score_is_five_times_positive_probability(labelled):
    train_x, train_y, test_x, _ = labelled
    for clf in (HashedNgramClassifier(task="binary"), FastTextClassifier(task="binary", **FAST_FT)):
        clf.fit(train_x, train_y)
        assert np.allclose(clf.predict(test_x[:30]), 5 * clf.predict_proba(test_x[:30]))


def test_classification_score_is_expected_label(labelled):
    train_x, train_y, test_x, _ = labelled
    clf = HashedNgramClassifier(task="classification", n_features=2**16).fit(train_x, train_y)
    proba = clf.predict_proba(test_x[:10])
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(clf.predict(test_x[:10]), proba @ clf.classes_)


def test_bare_fasttext_file_with_dclm_labels(labelled, tmp_path):
    train_x, train_y, test_x, _ = labelled
    clf = FastTextClassifier(task="binary", **FAST_FT).fit(train_x, train_y)
    clf.save(tmp_path / "m")
    wrapped = load_classifier(tmp_path / "m" / "model.bin")  # DCLM ships bare .bin files
    assert wrapped.task == "binary" and wrapped.positive_label == "hq"
    assert np.allclose(wrapped.predict(test_x[:20]), clf.predict(test_x[:20]))


def test_contract_errors(labelled, tmp_path):
    train_x, train_y, *_ = labelled
    with pytest.raises(NotFittedError):
        HashedNgramClassifier().predict(["x"])
    with pytest.raises(ValueError, match="task"):
        HashedNgramClassifier(task="ranking")
    with pytest.raises(ValueError, match="both classes"):
        HashedNgramClassifier(task="binary").fit(train_x[:10], [0.0] * 10)
    with pytest.raises(ValueError, match="one per text"):
        HashedNgramClassifier().fit(train_x[:10], [1.0] * 9)
    with pytest.raises(TypeError, match="list of strings"):
        HashedNgramClassifier().fit("just one string", [1.0])
    with pytest.raises(FileNotFoundError, match="model.json"):
        load_classifier(tmp_path)
    with pytest.raises(ValueError, match="no parameter"):
        HashedNgramClassifier().set_params(alfa=2)


def test_predict_only_fasttext_build_gives_install_hint(monkeypatch):
    fake = types.ModuleType("fasttext")
    fake.load_model = lambda path: None  # what fasttext-predict provides: no train_supervised
    fake.__file__ = "/site-packages/fasttext/__init__.py"
    monkeypatch.setitem(sys.modules, "fasttext", fake)
    with pytest.raises(ImportError, match=r"fasttext-predict.*curate\[train\]"):
        fasttext_for_training()
    with pytest.raises(ImportError, match="fasttext-numpy2-wheel"):
        FastTextClassifier().fit(["a b", "c d"], [0, 5])


def test_fasttext_training_is_reproducible_for_a_seed(labelled):
    """fastText starts from zeroed memory in a fresh process (not stale heap), so a seed fixes the model."""
    train_x, train_y, test_x, _ = labelled
    a = FastTextClassifier(task="binary", **FAST_FT).fit(train_x, train_y).predict(test_x[:50])
    b = FastTextClassifier(task="binary", **FAST_FT).fit(train_x, train_y).predict(test_x[:50])
    assert np.array_equal(a, b)
