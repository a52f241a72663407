"""Educational scoring stages: score / int_score columns, threshold rule, corpus-wide top percentile."""

from __future__ import annotations

import gzip
import json
import pickle

import numpy as np
import polars as pl
import pytest

import curate.stages.edu as edu
from curate import Pipeline
from curate.classifiers import HashedNgramClassifier, int_score, load_classifier
from curate.errors import ConfigError
from curate.registry import build_stage
from curate.stages.edu import EduScore, ScorePercentile
from tests.commands.llm_server import keyword_score
from tests.conftest import shared

DOLMA = ("web_text", "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")


@pytest.fixture(scope="module")
def docs() -> pl.DataFrame:
    with gzip.open(shared(*DOLMA), "rt") as fh:
        rows = [json.loads(line) for line in fh]
    return pl.DataFrame({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows]})


@pytest.fixture(scope="module")
def model_dir(docs, tmp_path_factory):
    """A small model saved the way `curate train` saves one (the shipped default is built elsewhere)."""
    texts = docs["text"].to_list()
    clf = HashedNgramClassifier(task="regression", n_features=2**18)
    clf.fit(texts, [float(keyword_score(t)) for t in texts])
    return clf.save(tmp_path_factory.mktemp("edu") / "model")


def test_adds_score_and_int_score_from_the_model(docs, model_dir):
    stage = EduScore(model=str(model_dir), min_int_score=None)
    out = docs.pipe(stage)
    assert out.schema["score"] == pl.Float64 and out.schema["int_score"] == pl.Int64
    raw = load_classifier(model_dir).predict(docs["text"].to_list())
    assert np.allclose(out["score"].to_numpy(), raw)
    assert out["int_score"].to_list() == int_score(raw).tolist()
    empty = stage.compute(docs.clear())
    assert empty.height == 0 and empty.schema == out.schema


def test_threshold_rule_keeps_int_score_at_least_min(docs, model_dir):
    kept, rejected = EduScore(model=str(model_dir), min_int_score=2).filter(docs)
    assert kept.height + rejected.height == docs.height and kept.height and rejected.height
    assert (kept["int_score"] >= 2).all() and (rejected["int_score"] < 2).all()
    assert set(rejected["reason"]) == {"low_edu_score"}


def test_model_is_loaded_lazily_and_not_pickled(docs, model_dir):
    stage = EduScore(model=str(model_dir))
    assert stage._clf is None
    stage.compute(docs.head(3))
    assert stage._clf is not None
    clone = pickle.loads(pickle.dumps(stage))
    assert clone._clf is None and clone.compute(docs.head(3))["score"].equals(stage.compute(docs.head(3))["score"])


def test_missing_models_fail_at_build_with_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="classifier not found"):
        build_stage("edu_score", {"model": str(tmp_path / "nope")})
    monkeypatch.setattr(edu, "DEFAULT_MODEL", tmp_path / "edu_default")
    with pytest.raises(FileNotFoundError, match="default educational-value model is missing"):
        EduScore()
    with pytest.raises(ConfigError, match="min_int_score"):
        build_stage("edu_score", {"model": str(tmp_path), "min_int_score": 6})


def test_score_percentile_keeps_top_share_in_memory(docs, model_dir):
    scored = EduScore(model=str(model_dir), min_int_score=None)(docs)
    kept, rejected = ScorePercentile(top_percent=10).filter(scored)
    threshold = kept["score_threshold"][0]
    assert threshold == pytest.approx(float(np.quantile(scored["score"].to_numpy(), 0.9)))
    assert abs(kept.height - 0.1 * docs.height) <= 2
    assert set(rejected["reason"]) == {"below_score_percentile"}
    assert kept["score"].min() >= threshold > rejected["score"].max()


def test_score_percentile_is_global_across_shards_in_a_pipeline(tmp_path, docs, model_dir):
    # two shards with different score distributions: a per-shard top 20% would keep 20% of each
    scored = EduScore(model=str(model_dir), min_int_score=None)(docs).sort("score")
    low, high = scored.head(400).select("id", "text"), scored.tail(docs.height - 400).select("id", "text")
    src = tmp_path / "in"
    src.mkdir()
    low.write_ndjson(src / "low.jsonl")
    high.write_ndjson(src / "high.jsonl")
    pipe = Pipeline.from_config({"stages": [
        {"type": "edu_score", "model": str(model_dir), "min_int_score": None},
        {"type": "score_percentile", "top_percent": 20},
    ]})
    pipe.run(input=str(src), output=tmp_path / "out")
    kept = pl.read_parquet(tmp_path / "out" / "kept" / "*.parquet")
    rejected = pl.read_parquet(tmp_path / "out" / "rejected" / "*.parquet")
    assert kept.height + rejected.height == docs.height
    assert abs(kept.height - 0.2 * docs.height) <= 2
    assert kept["id"].is_in(high["id"].to_list()).all()  # the low shard contributes nothing
    assert set(rejected["reason"]) == {"below_score_percentile"}


def test_score_percentile_needs_a_score_column(docs):
    with pytest.raises(ValueError, match="edu_score"):
        ScorePercentile().compute(docs.head(5))
    with pytest.raises(ValueError, match="top_percent"):
        ScorePercentile(top_percent=0)
