"""fastText classifiers, DCLM-style: word bigrams, binary (positive vs raw web) or 0-5 labels.

Training needs a ``fasttext`` module with ``train_supervised``: the ``fasttext-numpy2-wheel``
package (``pip install 'curate[train]'``; a binary wheel that works with NumPy 2) or ``fasttext``
>= 0.9.3 (source build). The ``fasttext-predict`` package, which curate's language identification
installs, provides the same module name but can only load and predict; all three write the same
``fasttext/`` folder and the last one installed wins. Saved models score with any of them (we only
call ``predict`` on lists of lines, which every build supports).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curate.classifiers.base import MAX_SCORE, MIN_SCORE, Classifier, check_scores, check_texts
from curate.fasttext_compat import predict_batch

MODEL_BIN = "model.bin"
MODEL_FTZ = "model.ftz"
PREFIX = "__label__"
TRAIN_INSTALL_HINT = ("pip install 'curate[train]' (installs fasttext-numpy2-wheel; the fasttext package "
                      ">= 0.9.3 also trains)")


def fasttext_for_training():
    """Return the ``fasttext`` module if it can train; raise ImportError naming the package otherwise."""
    try:
        import fasttext
    except ImportError as exc:  # pragma: no cover - fasttext-predict is a core dependency
        raise ImportError(f"training a fastText classifier needs the fasttext package: {TRAIN_INSTALL_HINT}") from exc
    if not hasattr(fasttext, "train_supervised"):
        where = getattr(fasttext, "__file__", "?")
        raise ImportError(
            f"the installed `fasttext` module ({where}) is from the predict-only package fasttext-predict "
            f"and cannot train. Install a training build: {TRAIN_INSTALL_HINT}. If both are installed, "
            f"reinstall the training one last: pip install --force-reinstall --no-deps fasttext-numpy2-wheel")
    return fasttext


def _train_in_child(train_file: Path, model_file: Path, params: dict, quantize: bool) -> None:
    """Run ``fasttext.train_supervised`` in a fresh process (see ``_fasttext_train`` for why)."""
    import json
    import os
    import subprocess
    import sys

    root = str(Path(__file__).resolve().parents[2])  # so the child imports this same curate
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    args = json.dumps({"input": str(train_file), "output": str(model_file), "params": params,
                       "quantize": bool(quantize)})
    proc = subprocess.run([sys.executable, "-m", "curate.classifiers._fasttext_train", args],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0 or not model_file.is_file():
        err = (proc.stderr or "").strip().splitlines()
        last = err[-1] if err else f"exit code {proc.returncode}"
        hint = (f"; lower lr (now {params['lr']})" if "NaN" in last else "")
        raise RuntimeError(f"fastText training failed: {last}{hint}")


def _load_fasttext_model(path: Path):
    import fasttext

    return fasttext.load_model(str(path))


def preprocess(texts: Sequence[str], lowercase: bool = True, max_chars: int | None = 20_000) -> list[str]:
    """One line per text: lowercased, punctuation split from words, whitespace collapsed (fastText input)."""
    import polars as pl

    s = pl.Series("t", list(texts), dtype=pl.String).fill_null("")
    if max_chars:
        s = s.str.slice(0, max_chars)
    if lowercase:
        s = s.str.to_lowercase()
    s = s.str.replace_all(r"([^\w\s])", " $1 ").str.replace_all(r"\s+", " ").str.strip_chars()
    return s.to_list()


class FastTextClassifier(Classifier):
    """fastText supervised model on word n-grams, predicting a 0-5 score.

    Args:
        task: ``binary`` (DCLM: ``__label__<positive_label>`` for ``score >= binary_threshold``,
            ``__label__<negative_label>`` otherwise; the score is ``5 * P(positive)``),
            ``classification`` (labels ``__label__0`` .. ``__label__5``; the score is the expected
            label) or ``regression`` (fastText has no regression loss: trained as
            ``classification``, scored by the expected label).
        word_ngrams: word n-gram length (DCLM: 2).
        dim: embedding size.
        epoch: passes over the training data.
        lr: learning rate.
        min_count: drop words seen fewer times.
        bucket: hash buckets for n-grams (model size is about ``(bucket + vocab) * dim * 4`` bytes).
        binary_threshold: positive class of the ``binary`` task is ``score >= binary_threshold``.
        positive_label / negative_label: label names of the binary task (DCLM: ``hq`` / ``cc``).
        max_chars: texts are cut to this many characters.
        lowercase: lowercase texts before training and prediction.
        quantize: save a quantized ``model.ftz`` (much smaller, slightly less accurate).
        threads: training threads (1 = reproducible with ``seed``).
        seed: random seed of fastText's training.

    Example:
        >>> clf = FastTextClassifier(task="binary").fit(texts, scores)  # doctest: +SKIP
        >>> clf.predict_proba(["How to compute a derivative, step by step."])  # doctest: +SKIP
        array([0.93])
    """

    kind = "fasttext"

    def __init__(
        self,
        task: str = "binary",
        word_ngrams: int = 2,
        dim: int = 64,
        epoch: int = 5,
        lr: float = 0.1,
        min_count: int = 2,
        bucket: int = 200_000,
        binary_threshold: float = 3.0,
        positive_label: str = "hq",
        negative_label: str = "cc",
        max_chars: int = 20_000,
        lowercase: bool = True,
        quantize: bool = False,
        threads: int = 1,
        seed: int = 0,
    ):
        self.task = task
        self.word_ngrams = word_ngrams
        self.dim = dim
        self.epoch = epoch
        self.lr = lr
        self.min_count = min_count
        self.bucket = bucket
        self.binary_threshold = binary_threshold
        self.positive_label = positive_label
        self.negative_label = negative_label
        self.max_chars = max_chars
        self.lowercase = lowercase
        self.quantize = quantize
        self.threads = threads
        self.seed = seed
        self._check_task()
        if positive_label == negative_label:
            raise ValueError("positive_label and negative_label must differ")

    # -- fit ------------------------------------------------------------------------------------
    def _labels_for(self, scores: np.ndarray) -> list[str]:
        if self.task == "binary":
            y = self._binary_targets(scores)
            return [self.positive_label if v else self.negative_label for v in y]
        ints = np.rint(np.clip(scores, 0, 5)).astype(np.int64)
        if len(set(ints.tolist())) < 2:
            raise ValueError("classification needs at least two distinct labels")
        return [str(v) for v in ints]

    def fit(self, texts: Sequence[str], scores: Sequence[float]) -> FastTextClassifier:
        """Train with ``fasttext.train_supervised`` on ``texts`` and their 0-5 ``scores``."""
        fasttext_for_training()  # fail early, naming the package, if this build cannot train
        texts = check_texts(texts)
        y = check_scores(scores, len(texts))
        if len(texts) < 2:
            raise ValueError("fit needs at least 2 labelled texts")
        labels = self._labels_for(y)
        lines = preprocess(texts, self.lowercase, self.max_chars)
        with tempfile.TemporaryDirectory(prefix="curate-fasttext-") as tmp:
            train_file = Path(tmp) / "train.txt"
            with open(train_file, "w", encoding="utf-8") as fh:
                for label, line in zip(labels, lines, strict=True):
                    fh.write(f"{PREFIX}{label} {line}\n")
            model_file = Path(tmp) / self._model_file()
            _train_in_child(train_file, model_file, {
                "wordNgrams": int(self.word_ngrams), "dim": int(self.dim), "epoch": int(self.epoch),
                "lr": float(self.lr), "minCount": int(self.min_count), "bucket": int(self.bucket),
                "thread": int(self.threads), "seed": int(self.seed)}, self.quantize)
            model = _load_fasttext_model(model_file)
        self._model = model
        self.labels_ = sorted(set(labels))
        self.n_train_ = len(texts)
        self.fitted_ = True
        return self

    # -- predict --------------------------------------------------------------------------------
    def _ensure_model(self):
        model = getattr(self, "_model", None)
        if model is None:
            blob = getattr(self, "_model_bytes", None)
            if blob is None:
                self._require_fitted()
                raise RuntimeError("fastText model is not loaded")
            with tempfile.TemporaryDirectory(prefix="curate-fasttext-") as tmp:
                path = Path(tmp) / MODEL_BIN
                path.write_bytes(blob)
                model = self._model = _load_fasttext_model(path)
            self._model_bytes = None
        return model

    def _label_probs(self, texts: Sequence[str]) -> tuple[list, list]:
        self._require_fitted()
        lines = preprocess(check_texts(texts), self.lowercase, self.max_chars)
        if not lines:
            return [], []
        return predict_batch(self._ensure_model(), lines, k=-1)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Binary: P(positive) per text. Classification: (n, 6) probabilities of labels 0-5."""
        all_labels, all_probs = self._label_probs(texts)
        if self.task == "binary":
            pos = PREFIX + self.positive_label
            return np.array([_prob_of(labels, probs, pos) for labels, probs in
                             zip(all_labels, all_probs, strict=True)], dtype=np.float64)
        out = np.zeros((len(all_labels), 6), dtype=np.float64)
        for i, (labels, probs) in enumerate(zip(all_labels, all_probs, strict=True)):
            for lab, p in zip(labels, probs, strict=True):
                out[i, int(lab[len(PREFIX):])] = p
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Float scores in [0, 5]: ``5 * P(positive)`` (binary) or the expected label (0-5 labels)."""
        proba = self.predict_proba(texts)
        if proba.size == 0:
            return np.zeros(0, dtype=np.float64)
        score = MAX_SCORE * proba if self.task == "binary" else proba @ np.arange(6, dtype=np.float64)
        return np.clip(score, MIN_SCORE, MAX_SCORE)

    # -- persistence ----------------------------------------------------------------------------
    def _model_file(self) -> str:
        return MODEL_FTZ if self.quantize else MODEL_BIN

    def _state(self) -> dict[str, Any]:
        return {"labels": self.labels_, "n_train": getattr(self, "n_train_", None)}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.labels_ = state.get("labels", [])
        self.n_train_ = state.get("n_train")

    def _save_files(self, path: Path) -> list[str]:
        target = path / self._model_file()
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_bytes(self._model_blob())
        os.replace(tmp, target)
        return [target.name]

    def _model_blob(self) -> bytes:
        """The model file's bytes (a predict-only fasttext build cannot save, so reuse the source)."""
        source = getattr(self, "_source_path", None)
        if source is not None and Path(source).is_file():
            return Path(source).read_bytes()
        with tempfile.TemporaryDirectory(prefix="curate-fasttext-") as tmp:
            path = Path(tmp) / MODEL_BIN
            self._ensure_model().save_model(str(path))
            return path.read_bytes()

    def _load_files(self, path: Path) -> None:
        self._source_path = path / self._model_file()
        self._model = _load_fasttext_model(self._source_path)

    @classmethod
    def from_fasttext_file(cls, path: str | Path, positive_label: str | None = None) -> FastTextClassifier:
        """Wrap a bare fastText model file: labels ``0``-``5`` → classification, two labels → binary.

        For a binary model the positive label is ``positive_label``, else ``hq`` (DCLM's name) if
        present; other two-label models need ``positive_label``.
        """
        path = Path(path)
        model = _load_fasttext_model(path)
        labels, _ = predict_batch(model, ["a"], k=-1)
        names = sorted(lab[len(PREFIX):] for lab in labels[0])
        if all(n.isdigit() and 0 <= int(n) <= 5 for n in names):
            obj = cls(task="classification")
        elif len(names) == 2:
            pos = positive_label or ("hq" if "hq" in names else None)
            if pos not in names:
                raise ValueError(f"{path}: binary fastText model with labels {names}; pass positive_label=")
            obj = cls(task="binary", positive_label=pos, negative_label=next(n for n in names if n != pos))
        else:
            raise ValueError(f"{path}: labels {names} are neither 0-5 scores nor two classes")
        obj.quantize = path.suffix == ".ftz"
        obj._model, obj.labels_, obj.n_train_, obj.fitted_ = model, names, None, True
        obj._source_path = path
        return obj

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if state.pop("_model", None) is not None:
            state["_model_bytes"] = self._model_blob()
        state.pop("_source_path", None)
        return state


def _prob_of(labels: Sequence[str], probs: Sequence[float], wanted: str) -> float:
    for lab, p in zip(labels, probs, strict=True):
        if lab == wanted:
            return float(p)
    return 0.0
