"""Batched fastText prediction gives the same answers through both paths the builds offer."""

from __future__ import annotations

import numpy as np

from curate.fasttext_compat import predict_batch
from curate.stages.langid import default_model_path, load_fasttext


class LabelsOnly:
    """The real model, with ``multilinePredict`` answering as fasttext-predict's build does."""

    def __init__(self, model):
        self._f = model.f

    @property
    def f(self):
        return self

    def multilinePredict(self, lines, k, threshold, errors):  # noqa: N802 - fastText's name
        labels, _ = self._f.multilinePredict(lines, k, threshold, errors)
        return [list(row) for row in labels]

    def predict(self, line, k, threshold, errors):
        return self._f.predict(line, k, threshold, errors)


def test_labels_only_build_falls_back_to_per_line_predict():
    model = load_fasttext(default_model_path())
    lines = ["the cat sat on the mat", "le chat est sur le tapis", "der Hund schläft", "", "東京は日本の首都です"]
    fast_labels, fast_probs = predict_batch(model, lines, k=3)
    slow_labels, slow_probs = predict_batch(LabelsOnly(model), lines, k=3)
    assert fast_labels == slow_labels
    assert [lab[0] for lab in fast_labels[:3]] == ["__label__en", "__label__fr", "__label__de"]
    for a, b in zip(fast_probs, slow_probs):
        assert np.allclose(a, b, atol=1e-6)
    assert predict_batch(model, []) == ([], [])
