"""Held-out metrics: FineWeb-Edu's rounding, the keep-decision figures, ranking and the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

from curate.classifiers import evaluate, format_report, int_score


def test_int_score_rounds_and_clips_like_fineweb_edu():
    raw = [-1.0, 0.49, 0.5, 1.5, 2.5, 2.51, 3.5, 4.6, 7.0, float("nan")]
    expected = [int(round(max(0, min(s, 5)))) if s == s else 0 for s in raw]
    assert int_score(raw).tolist() == expected == [0, 0, 0, 2, 2, 3, 4, 5, 5, 0]


def test_perfect_and_known_predictions():
    m = evaluate([0, 1, 4, 5], [0.4, 1.8, 3.1, 4.2])
    assert (m["precision"], m["recall"], m["f1"], m["spearman"], m["roc_auc"]) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert m["confusion_matrix"][1][2] == 1 and m["confusion_matrix"][4][3] == 1


def test_binary_figures_at_threshold_3():
    true = np.array([0, 1, 2, 3, 4, 5, 3, 1])
    pred = np.array([0.2, 3.2, 2.4, 2.6, 4.4, 1.0, 3.0, 0.9])
    m = evaluate(true, pred)
    # kept by prediction (int >= 3): idx 1, 3, 4, 6; truly >= 3: idx 3, 4, 5, 6
    assert m["precision"] == 0.75 and m["recall"] == 0.75 and m["f1"] == 0.75
    assert sum(map(sum, m["confusion_matrix"])) == len(true)
    assert 0.0 <= m["macro_f1"] <= 1.0 and m["roc_auc"] is not None
    assert "confusion matrix" in format_report(m)


def test_single_class_has_no_auc_and_constant_has_no_spearman():
    m = evaluate([1, 1, 2], [0.5, 1.0, 2.0])
    assert m["roc_auc"] is None
    assert evaluate([1, 2, 3], [2.0, 2.0, 2.0])["spearman"] is None


def test_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        evaluate([1, 2], [1.0])
