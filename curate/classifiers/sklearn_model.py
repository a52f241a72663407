"""Linear models over hashed word n-grams (scikit-learn): fast, CPU-only, no vocabulary to ship.

Features are word 1-2 grams hashed into ``n_features`` buckets (``HashingVectorizer``), weighted
by sublinear tf-idf (the idf vector is learned) and L2-normalised. Regression uses Ridge (or
SGD); classification and binary use logistic regression (or SGD with log loss). The learned
weights are stored as NumPy arrays (``weights.npz``), not pickles, so a saved model loads under
any scikit-learn version and prediction is one sparse matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curate.classifiers.base import MAX_SCORE, MIN_SCORE, Classifier, check_scores, check_texts

WEIGHTS = "weights.npz"


class HashedNgramClassifier(Classifier):
    """Ridge / logistic regression on hashed word n-grams, predicting a 0-5 score.

    Args:
        task: ``regression`` (predict the score), ``classification`` (integer labels 0-5; the
            score is the expected label) or ``binary`` (``score >= binary_threshold`` vs the rest;
            the score is ``5 * P(positive)``).
        ngram_range: word n-gram sizes (DCLM's fastText uses 1-2).
        n_features: hash buckets (more = fewer collisions, bigger model file).
        sublinear_tf: use ``1 + log(tf)`` instead of raw counts.
        alpha: L2 strength of Ridge / SGD.
        C: inverse L2 strength of logistic regression.
        solver: ``linear`` (Ridge / LogisticRegression, exact) or ``sgd`` (SGD, for very large sets).
        class_weight: ``balanced`` reweights rare labels (classification / binary); ``None`` does not.
        binary_threshold: positive class of the ``binary`` task is ``score >= binary_threshold``.
        max_iter: optimiser iterations.
        max_chars: texts are cut to this many characters before hashing (long pages cost time,
            add little signal).
        random_state: seed for SGD shuffling.

    Example:
        >>> clf = HashedNgramClassifier(task="regression").fit(texts, scores)  # doctest: +SKIP
        >>> clf.predict(["An introduction to cell biology ..."])  # doctest: +SKIP
        array([3.4])
    """

    kind = "hashed_ngram"

    def __init__(
        self,
        task: str = "regression",
        ngram_range: tuple[int, int] = (1, 2),
        n_features: int = 2**20,
        sublinear_tf: bool = True,
        alpha: float = 1.0,
        C: float = 1.0,
        solver: str = "linear",
        class_weight: str | None = "balanced",
        binary_threshold: float = 3.0,
        max_iter: int = 1000,
        max_chars: int = 20_000,
        random_state: int = 0,
    ):
        self.task = task
        self.ngram_range = ngram_range
        self.n_features = n_features
        self.sublinear_tf = sublinear_tf
        self.alpha = alpha
        self.C = C
        self.solver = solver
        self.class_weight = class_weight
        self.binary_threshold = binary_threshold
        self.max_iter = max_iter
        self.max_chars = max_chars
        self.random_state = random_state
        self._check_task()
        if solver not in ("linear", "sgd"):
            raise ValueError(f"solver must be 'linear' or 'sgd', got {solver!r}")
        if int(n_features) < 2:
            raise ValueError(f"n_features must be >= 2, got {n_features}")

    # -- features -----------------------------------------------------------------------------
    def _vectorizer(self):
        from sklearn.feature_extraction.text import HashingVectorizer

        lo, hi = self.ngram_range
        return HashingVectorizer(ngram_range=(int(lo), int(hi)), n_features=int(self.n_features),
                                 alternate_sign=False, norm=None, lowercase=True, dtype=np.float32)

    def _counts(self, texts: list[str]):
        cut = [t[: self.max_chars] for t in texts] if self.max_chars else texts
        if not hasattr(self, "_vec"):
            self._vec = self._vectorizer()
        X = self._vec.transform(cut).tocsr()
        if self.sublinear_tf and X.nnz:
            np.log(X.data, out=X.data)
            X.data += 1.0
        return X

    def _weight(self, X):
        from sklearn.preprocessing import normalize

        X.data *= self.idf_[X.indices]
        return normalize(X, norm="l2", copy=False)

    # -- fit / predict --------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], scores: Sequence[float]) -> HashedNgramClassifier:
        """Learn idf and linear weights from ``texts`` and their 0-5 ``scores``."""
        texts = check_texts(texts)
        y = check_scores(scores, len(texts))
        if len(texts) < 2:
            raise ValueError("fit needs at least 2 labelled texts")
        X = self._counts(texts)
        df = np.bincount(X.indices, minlength=X.shape[1]).astype(np.float64)
        self.idf_ = (np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0).astype(np.float32)
        X = self._weight(X)
        # fit on the hash buckets actually used (far fewer than n_features: much faster solvers),
        # then spread the weights back to the full bucket range
        active = np.unique(X.indices)
        Xa = X[:, active]
        if self.task == "regression":
            self._fit_regression(Xa, y)
        else:
            target = self._binary_targets(y) if self.task == "binary" else np.rint(np.clip(y, 0, 5)).astype(np.int64)
            if len(set(target.tolist())) < 2:
                raise ValueError("classification needs at least two distinct labels")
            self._fit_classifier(Xa, target)
        full = np.zeros((self.coef_.shape[0], X.shape[1]), dtype=np.float32)
        full[:, active] = self.coef_
        self.coef_ = full
        self.n_train_ = len(texts)
        self.fitted_ = True
        return self

    def _fit_regression(self, X, y: np.ndarray) -> None:
        if self.solver == "sgd":
            from sklearn.linear_model import SGDRegressor

            model = SGDRegressor(alpha=self.alpha / max(X.shape[0], 1), max_iter=self.max_iter,
                                 random_state=self.random_state)
        else:
            from sklearn.linear_model import Ridge

            model = Ridge(alpha=self.alpha, max_iter=self.max_iter)
        model.fit(X, y)
        self.coef_ = np.asarray(model.coef_, dtype=np.float32).reshape(1, -1)
        self.intercept_ = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
        self.classes_ = np.array([], dtype=np.int64)
        self.link_ = "identity"

    def _fit_classifier(self, X, y: np.ndarray) -> None:
        if self.solver == "sgd":
            from sklearn.linear_model import SGDClassifier

            model = SGDClassifier(loss="log_loss", alpha=1.0 / (self.C * max(X.shape[0], 1)),
                                  max_iter=self.max_iter, class_weight=self.class_weight,
                                  random_state=self.random_state)
            link = "ovr"
        else:
            from sklearn.linear_model import LogisticRegression

            model = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight=self.class_weight,
                                       solver="newton-cg")
            link = "softmax"
        model.fit(X, y)
        self.classes_ = np.asarray(model.classes_, dtype=np.int64)
        self.coef_ = np.asarray(model.coef_, dtype=np.float32)
        self.intercept_ = np.asarray(model.intercept_, dtype=np.float64)
        self.link_ = "sigmoid" if len(self.classes_) == 2 else link

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw linear outputs, shape (n,) for regression/binary or (n, n_classes)."""
        self._require_fitted()
        texts = check_texts(texts)
        if not texts:
            n_out = self.coef_.shape[0]
            return np.zeros(0) if n_out == 1 else np.zeros((0, n_out))
        X = self._weight(self._counts(texts))
        out = np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_
        return out[:, 0] if out.shape[1] == 1 else out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (classification: (n, n_classes) in ``classes_`` order; binary: P(positive))."""
        if self.task == "regression":
            raise ValueError("predict_proba is not defined for task='regression'")
        return self._proba(self.decision_function(texts))

    def _proba(self, d: np.ndarray) -> np.ndarray:
        if self.link_ == "sigmoid":
            p1 = 1.0 / (1.0 + np.exp(-d))
            return p1 if self.task == "binary" else np.column_stack([1.0 - p1, p1])
        if self.link_ == "ovr":
            p = 1.0 / (1.0 + np.exp(-d))
            return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Float scores in [0, 5], one per text."""
        d = self.decision_function(texts)
        if self.task == "regression":
            score = d
        elif self.task == "binary":
            score = MAX_SCORE * self._proba(d)
        else:
            score = self._proba(d) @ self.classes_.astype(np.float64)
        return np.clip(np.atleast_1d(score), MIN_SCORE, MAX_SCORE)

    # -- persistence ----------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {"classes": self.classes_.tolist(), "link": self.link_, "n_train": self.n_train_}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.classes_ = np.asarray(state.get("classes", []), dtype=np.int64)
        self.link_ = state.get("link", "identity")
        self.n_train_ = state.get("n_train")
        self.ngram_range = tuple(self.ngram_range)

    def _save_files(self, path: Path) -> list[str]:
        np.savez_compressed(path / WEIGHTS, coef=self.coef_, intercept=self.intercept_, idf=self.idf_)
        return [WEIGHTS]

    def _load_files(self, path: Path) -> None:
        with np.load(path / WEIGHTS) as z:
            self.coef_ = z["coef"].astype(np.float32)
            self.intercept_ = z["intercept"].astype(np.float64)
            self.idf_ = z["idf"].astype(np.float32)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_vec", None)
        return state
