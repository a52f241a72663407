"""Scoring throughput: the ``edu_score`` stage against the raw classifier's own batch predict, same texts, same run.

    python benchmarks/score.py --input ../shared/data/web_text/dolma_CC-MAIN-*.jsonl.gz [--model DIR] [--docs 20000]

Reads the real documents given and resamples them up to ``--docs`` (document order shuffled, a
document repeated as needed). The model is ``--model`` (a folder written by ``curate train``), else
the shipped ``classifiers/edu_default``; when neither exists a hashed-n-gram model is trained on the
input with a stand-in label (stop-word share) and the script says so — throughput does not depend on
label quality. Both sides are warmed up, then timed alternately ``--repeats`` times over the same
batches of ``--batch-size`` documents; the best time of each is kept:

- raw: ``clf.predict(texts)`` on a Python list of each batch's texts (lists prepared beforehand);
- stage: ``EduScore(model).compute(df)`` on each Polars batch (text extraction, predict, the
  ``score`` / ``int_score`` columns).

Timing is wall clock on a shared machine: noisy. Last line:
``stage_docs_per_s=<> raw_docs_per_s=<> ratio=<>``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from curate.annotate.inputs import read_documents  # noqa: E402
from curate.classifiers import HashedNgramClassifier, load_classifier  # noqa: E402
from curate.stages.edu import DEFAULT_MODEL, EduScore  # noqa: E402

STOP = {"the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "with", "was", "on", "be", "by",
        "this", "are", "or", "from", "which", "an", "at", "not", "can", "their", "these", "have", "has"}


def load_corpus(inputs: list[str], n_docs: int, seed: int) -> pl.DataFrame:
    docs = pl.concat([b.select("id", "text") for b in read_documents(inputs)])
    docs = docs.filter(pl.col("text").is_not_null())
    if docs.height == 0:
        sys.exit("no documents in --input")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, docs.height, size=n_docs) if n_docs > docs.height else rng.permutation(docs.height)[:n_docs]
    out = docs[idx]
    return out.with_columns((pl.col("id") + "#" + pl.int_range(pl.len()).cast(pl.String)).alias("id"))


def stand_in_model(docs: pl.DataFrame, folder: Path) -> Path:
    texts = docs["text"].to_list()[:3000]
    share = np.array([sum(w in STOP for w in t.lower().split()) / max(1, len(t.split())) for t in texts])
    scores = np.clip(share * 12.0, 0, 5)
    HashedNgramClassifier(task="regression").fit(texts, scores).save(folder, card={"name": "benchmark stand-in"})
    return folder


def best_time(fn, repeats: int) -> float:
    return min(_timed(fn) for _ in range(repeats))


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", nargs="+", required=True, help="documents (any input curate reads)")
    ap.add_argument("--model", help="classifier folder (default: classifiers/edu_default, else a stand-in)")
    ap.add_argument("--docs", type=int, default=20_000, help="documents to score (resampled from the input)")
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    docs = load_corpus(args.input, args.docs, args.seed)
    with tempfile.TemporaryDirectory(prefix="curate-bench-score-") as tmp:
        if args.model:
            model = Path(args.model)
        elif (DEFAULT_MODEL / "model.json").is_file():
            model = DEFAULT_MODEL
        else:
            print("no --model and no classifiers/edu_default: training a stand-in hashed-n-gram model on the input")
            model = stand_in_model(docs, Path(tmp) / "standin")
        clf = load_classifier(model)
        stage = EduScore(model=str(model), min_int_score=None)
        batches = [docs.slice(i, args.batch_size) for i in range(0, docs.height, args.batch_size)]
        text_lists = [b["text"].to_list() for b in batches]
        warm = text_lists[0][:200]
        clf.predict(warm)
        stage.compute(batches[0].head(200))

        raw_t = stage_t = float("inf")
        for _ in range(args.repeats):  # alternate so both sides see the same machine load
            raw_t = min(raw_t, _timed(lambda: [clf.predict(t) for t in text_lists]))
            stage_t = min(stage_t, _timed(lambda: [stage.compute(b) for b in batches]))
        check = stage.compute(batches[0])["score"].to_numpy()
        if not np.allclose(check, clf.predict(text_lists[0])):
            sys.exit("stage scores differ from the raw model's predictions")

    n = docs.height
    raw_rate, stage_rate = n / raw_t, n / stage_t
    print(f"model: {model} ({clf.kind}, task {clf.task})")
    print(f"documents: {n:,} in {len(batches)} batch(es) of {args.batch_size:,}; best of {args.repeats}")
    print(f"{'side':<8}{'seconds':>10}{'docs/s':>12}")
    print(f"{'raw':<8}{raw_t:>10.2f}{raw_rate:>12,.0f}")
    print(f"{'stage':<8}{stage_t:>10.2f}{stage_rate:>12,.0f}")
    print("(wall clock on a shared 2-core machine: noisy)")
    print(f"stage_docs_per_s={stage_rate:.1f} raw_docs_per_s={raw_rate:.1f} ratio={stage_rate / raw_rate:.3f}")


if __name__ == "__main__":
    main()
