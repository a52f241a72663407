"""Educational-value classifiers: text → 0-5 score models with one fit / predict / save / load contract.

Example:
    >>> from curate.classifiers import HashedNgramClassifier, evaluate, load_classifier
    >>> clf = HashedNgramClassifier(task="regression").fit(train_texts, train_scores)  # doctest: +SKIP
    >>> evaluate(test_scores, clf.predict(test_texts))["f1"]  # doctest: +SKIP
    >>> clf.save("classifiers/my_edu"); clf = load_classifier("classifiers/my_edu")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from curate.classifiers.base import Classifier, NotFittedError, int_score, load_classifier
from curate.classifiers.fasttext_model import FastTextClassifier
from curate.classifiers.metrics import evaluate, format_report
from curate.classifiers.sklearn_model import HashedNgramClassifier

__all__ = [
    "Classifier", "EmbeddingClassifier", "FastTextClassifier", "HashedNgramClassifier", "NotFittedError",
    "evaluate", "format_report", "int_score", "load_classifier",
]

if TYPE_CHECKING:  # pragma: no cover
    from curate.classifiers.embedding_model import EmbeddingClassifier


def __getattr__(name: str) -> Any:
    if name == "EmbeddingClassifier":  # optional extra: imported only when asked for
        from curate.classifiers.embedding_model import EmbeddingClassifier

        return EmbeddingClassifier
    raise AttributeError(f"module 'curate.classifiers' has no attribute {name!r}")
