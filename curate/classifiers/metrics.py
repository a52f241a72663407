"""Held-out evaluation of 0-5 score predictions: the figures FineWeb-Edu and DCLM report."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from curate.classifiers.base import int_score

LABELS = list(range(6))


def evaluate(
    y_true: Sequence[float] | np.ndarray,
    y_pred: Sequence[float] | np.ndarray,
    threshold: int = 3,
) -> dict:
    """Compare true and predicted 0-5 scores; return a JSON-ready dict of metrics.

    Keys: ``n``; ``precision`` / ``recall`` / ``f1`` / ``accuracy_binary`` of the keep decision
    ``int_score >= threshold`` (FineWeb-Edu's; ``int_score`` rounds and clips both sides);
    ``macro_f1`` and ``accuracy`` over integer scores 0-5; ``spearman`` and ``pearson`` of the raw
    scores; ``mae``; ``roc_auc`` of the raw predicted score against ``true >= threshold`` (None when
    only one class is present); ``confusion_matrix`` (rows = true int score 0-5, columns = predicted);
    ``positive_rate_true`` / ``positive_rate_pred``.

    Example:
        >>> m = evaluate([0, 1, 4, 5], [0.4, 1.8, 3.1, 4.2])
        >>> m["f1"], m["spearman"]
        (1.0, 1.0)
    """
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support, roc_auc_score

    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-d and the same length, got {t.shape} and {p.shape}")
    if t.size == 0:
        raise ValueError("evaluate needs at least one example")
    ti, pi = int_score(t), int_score(p)
    tb, pb = ti >= threshold, pi >= threshold
    prec, rec, f1, _ = precision_recall_fscore_support(tb, pb, average="binary", pos_label=True, zero_division=0)
    both = len(set(tb.tolist())) == 2
    const = np.ptp(t) == 0 or np.ptp(p) == 0
    return {
        "n": int(t.size),
        "threshold": threshold,
        "precision": round(float(prec), 4),
        "recall": round(float(rec), 4),
        "f1": round(float(f1), 4),
        "accuracy_binary": round(float(np.mean(tb == pb)), 4),
        "macro_f1": round(float(f1_score(ti, pi, labels=sorted(set(ti.tolist()) | set(pi.tolist())),
                                         average="macro", zero_division=0)), 4),
        "accuracy": round(float(np.mean(ti == pi)), 4),
        "spearman": None if const else round(float(spearmanr(t, p).statistic), 4),
        "pearson": None if const else round(float(pearsonr(t, p).statistic), 4),
        "mae": round(float(np.mean(np.abs(t - p))), 4),
        "roc_auc": round(float(roc_auc_score(tb, p)), 4) if both else None,
        "positive_rate_true": round(float(tb.mean()), 4),
        "positive_rate_pred": round(float(pb.mean()), 4),
        "confusion_matrix": confusion_matrix(ti, pi, labels=LABELS).tolist(),
    }


def format_report(metrics: dict, title: str = "held-out evaluation") -> str:
    """Human-readable text of :func:`evaluate`'s dict (metrics table plus confusion matrix)."""
    thr = metrics.get("threshold", 3)
    lines = [f"{title} (n={metrics['n']})",
             f"  keep int_score>={thr}: precision {_f(metrics['precision'])}  recall {_f(metrics['recall'])}  "
             f"F1 {_f(metrics['f1'])}  accuracy {_f(metrics['accuracy_binary'])}",
             f"  int scores 0-5:    macro-F1 {_f(metrics['macro_f1'])}  accuracy {_f(metrics['accuracy'])}  "
             f"MAE {_f(metrics['mae'])}",
             f"  ranking:           Spearman {_f(metrics['spearman'])}  Pearson {_f(metrics['pearson'])}  "
             f"ROC AUC {_f(metrics['roc_auc'])}",
             "  confusion matrix (rows true 0-5, columns predicted 0-5):"]
    for label, row in zip(LABELS, metrics["confusion_matrix"], strict=True):
        lines.append(f"    {label}: " + " ".join(f"{v:6d}" for v in row))
    return "\n".join(lines)


def _f(v: float | None) -> str:
    return "  n/a" if v is None else f"{v:.3f}"
