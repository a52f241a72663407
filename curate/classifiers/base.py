"""The classifier contract shared by every model: fit / predict / save / load, scikit-learn style.

Every model maps texts to a float **score on the 0-5 educational-value scale** (FineWeb-Edu's
scale), whatever its task:

- ``regression``: the model's prediction, clipped to [0, 5];
- ``classification`` (integer labels 0-5): the expected label, ``sum_k P(k) * k``, so ranking
  and thresholds work on a continuous value (``predict_proba`` gives the distribution);
- ``binary`` (DCLM-style positive vs negative, positive = ``score >= binary_threshold``):
  ``5 * P(positive)``, so ``score >= 3`` means ``P(positive) >= 0.6`` (``predict_proba`` gives
  ``P(positive)``).

Constructor arguments are the hyperparameters, stored unchanged (``get_params``); learned state
ends in ``_``. ``save(dir)`` writes the model's own files, ``model.json`` (kind, params, learned
metadata, card) and a ``README.md`` model card; :func:`load_classifier` reads any of them back.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

MODEL_JSON = "model.json"
CARD_MD = "README.md"
TASKS = ("regression", "classification", "binary")
MIN_SCORE, MAX_SCORE = 0.0, 5.0

#: kind (as written in model.json) → "module:Class", imported lazily.
KINDS: dict[str, str] = {
    "fasttext": "curate.classifiers.fasttext_model:FastTextClassifier",
    "hashed_ngram": "curate.classifiers.sklearn_model:HashedNgramClassifier",
    "embedding": "curate.classifiers.embedding_model:EmbeddingClassifier",
}


class NotFittedError(RuntimeError):
    """Raised when ``predict`` or ``save`` is called before ``fit``."""


def int_score(scores: np.ndarray | Sequence[float]) -> np.ndarray:
    """FineWeb-Edu's integer score: ``int(round(max(0, min(score, 5))))`` (round half to even)."""
    arr = np.asarray(scores, dtype=np.float64)
    return np.rint(np.clip(np.nan_to_num(arr, nan=0.0), MIN_SCORE, MAX_SCORE)).astype(np.int64)


def check_texts(texts: Sequence[str] | Any, name: str = "texts") -> list[str]:
    """Validate ``texts`` at the public boundary: a sequence of str (None becomes "")."""
    if isinstance(texts, str):
        raise TypeError(f"{name} must be a list of strings, not a single string")
    if hasattr(texts, "to_list"):  # polars / pandas Series
        texts = texts.to_list()
    out = list(texts)
    for i, t in enumerate(out):
        if t is None:
            out[i] = ""
        elif not isinstance(t, str):
            raise TypeError(f"{name}[{i}] is {type(t).__name__}, expected str")
    return out


def check_scores(scores: Sequence[float] | Any, n: int) -> np.ndarray:
    """Validate training scores: ``n`` finite numbers (0-5 scale; binary 0/1 labels also accepted)."""
    if hasattr(scores, "to_numpy"):
        scores = scores.to_numpy()
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"scores must be a 1-d sequence of {n} numbers (one per text), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("scores contain NaN or infinite values; drop unlabelled rows before fit")
    return arr


class Classifier:
    """Base class: a text → 0-5 score model with scikit-learn's verbs and a folder format."""

    #: Name written to model.json (``kind``) and used by :func:`load_classifier`.
    kind: ClassVar[str] = "base"

    task: str
    binary_threshold: float

    # -- parameters -------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"
                and sig.parameters[p].kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)]

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments, as given."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Classifier:
        """Set constructor arguments (before ``fit``); returns self."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {key!r}; expected one of {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_task(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")

    # -- learning / inference -----------------------------------------------------------------
    def fit(self, texts: Sequence[str], scores: Sequence[float]) -> Classifier:
        """Learn from ``texts`` and their 0-5 ``scores``; returns self."""
        raise NotImplementedError

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Float scores in [0, 5], one per text (see the module docstring for each task)."""
        raise NotImplementedError

    def predict_int(self, texts: Sequence[str]) -> np.ndarray:
        """Integer scores 0-5 with FineWeb-Edu's rounding and clipping."""
        return int_score(self.predict(texts))

    @property
    def is_fitted(self) -> bool:
        """Whether ``fit`` (or ``load``) has run."""
        return getattr(self, "fitted_", False)

    def _require_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() or load_classifier() first")

    def _binary_targets(self, scores: np.ndarray) -> np.ndarray:
        """Binary task targets: 1 where ``score >= binary_threshold``."""
        y = (scores >= self.binary_threshold).astype(np.int64)
        if y.min() == y.max():
            raise ValueError(f"binary task needs both classes; every score is "
                             f"{'>=' if y[0] else '<'} binary_threshold={self.binary_threshold}")
        return y

    # -- persistence --------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        """Small JSON-serialisable learned state written into model.json (override)."""
        return {}

    def _set_state(self, state: dict[str, Any]) -> None:
        """Restore what ``_state`` returned (override)."""

    def _save_files(self, path: Path) -> list[str]:
        """Write the model's own files into ``path``; return their names (override)."""
        raise NotImplementedError

    def _load_files(self, path: Path) -> None:
        """Read the model's own files from ``path`` (override)."""
        raise NotImplementedError

    def save(self, path: str | Path, card: dict[str, Any] | None = None) -> Path:
        """Write the model to folder ``path``: its files, ``model.json`` and a ``README.md`` card.

        ``card`` adds model-card fields: ``name``, ``description``, ``data`` (provenance),
        ``labels`` (how labels were made), ``metrics`` (from :func:`curate.classifiers.evaluate`),
        ``intended_use``, ``limitations`` and anything else (rendered as extra sections).

        Example:
            >>> clf.save("classifiers/my_edu")  # doctest: +SKIP
        """
        self._require_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        files = self._save_files(path)
        meta = {
            "kind": self.kind,
            "params": _jsonable(self.get_params()),
            "state": _jsonable(self._state()),
            "files": files,
            "score_scale": [MIN_SCORE, MAX_SCORE],
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "curate_version": _curate_version(),
            "card": _jsonable(card or {}),
        }
        (path / MODEL_JSON).write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n")
        from curate.classifiers.card import render_card

        (path / CARD_MD).write_text(render_card(self, meta))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Classifier:
        """Read a model saved by ``save`` (the folder or its ``model.json``)."""
        path = Path(path)
        if path.is_file() and path.name == MODEL_JSON:
            path = path.parent
        meta_file = path / MODEL_JSON
        if not meta_file.is_file():
            raise FileNotFoundError(f"{path}: no {MODEL_JSON}; not a saved curate classifier "
                                    f"(train one with `curate train`, or pass the folder that holds model.json)")
        meta = json.loads(meta_file.read_text())
        klass = _class_for(meta.get("kind"), meta_file)
        if cls is not Classifier and klass is not cls:
            raise ValueError(f"{path} holds a {meta.get('kind')!r} model, not {cls.kind!r}; use load_classifier()")
        obj = klass(**meta.get("params", {}))
        obj._set_state(meta.get("state", {}))
        obj._load_files(path)
        obj.card_ = meta.get("card", {})
        obj.fitted_ = True
        return obj


def _class_for(kind: str | None, where: Path) -> type[Classifier]:
    if kind not in KINDS:
        raise ValueError(f"{where}: unknown model kind {kind!r}; expected one of {sorted(KINDS)}")
    import importlib

    module, _, attr = KINDS[kind].partition(":")
    return getattr(importlib.import_module(module), attr)


def load_classifier(path: str | Path) -> Classifier:
    """Load any saved classifier folder (reads ``kind`` from its model.json).

    A bare fastText ``.bin``/``.ftz`` file (e.g. DCLM's released quality classifier) is also
    accepted: see :meth:`FastTextClassifier.from_fasttext_file`.

    Example:
        >>> clf = load_classifier("classifiers/edu_default")  # doctest: +SKIP
        >>> clf.predict(["Photosynthesis converts light into chemical energy."])  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_file() and path.suffix in (".bin", ".ftz"):
        from curate.classifiers.fasttext_model import FastTextClassifier

        return FastTextClassifier.from_fasttext_file(path)
    if not path.exists():
        raise FileNotFoundError(f"classifier not found: {path} (expected a folder with {MODEL_JSON})")
    return Classifier.load(path)


def _curate_version() -> str:
    try:
        from curate import __version__

        return __version__
    except Exception:  # pragma: no cover
        return "unknown"


def _jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and Paths into JSON-friendly values."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
