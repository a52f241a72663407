"""Gopher quality and repetition heuristics (Rae et al. 2021, table A1), as datatrove applies them.

Signals are columns prefixed ``gopher_``; rules carry datatrove's drop-reason names, so a FineWeb
user sees the same reasons (``gopher_short_doc``, ``dup_line_frac``, ``top_2_gram``, ...).
Unlike datatrove, every signal is computed for every document (datatrove stops at the first
failed check). Words come from :func:`curate.text.words` (a regex model of spaCy's English
tokenizer, which datatrove uses); both stages share one tokenisation per batch through
:func:`curate.text.words_cached`, and large batches are processed as slices on parallel threads.
Repeated n-gram characters (``gopher_dup_{n}_gram_frac``) are counted as datatrove does except in
one corner: an n-gram whose first occurrence fell inside a span datatrove skips still counts as
seen, which can raise the fraction by a few percent on highly repetitive pages.

Non-English text: words come from :func:`curate.text.words`, which splits on whitespace and
punctuation. Languages written with spaces (French, Russian, Hindi, ...) get sensible counts,
but the stop-word rule looks for English words, so almost every non-English document fails
``gopher_enough_stop_words`` (as in datatrove with its English defaults; pass ``stop_words`` for
the language, or ``min_stop_words=None``). Chinese, Japanese and Thai have no spaces: a whole
phrase is one "word", so word counts are small and mean word length large, and such documents
usually fail ``gopher_short_doc`` or ``gopher_above_avg_threshold``. Run these stages after a
``language`` stage restricted to languages they were designed for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from curate.registry import register_stage
from curate.schema import TEXT
from curate.stages.base import Rule, Stage
from curate.text import (
    dup_stats,
    in_parallel,
    is_real_word,
    n_splitlines,
    normalise_line_breaks,
    words_cached,
)

#: Gopher's stop words: a document must contain at least ``min_stop_words`` distinct ones.
STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")

_PARA_SEP = "\x00\x01\x02"  # stands in for a paragraph break while splitting


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den as Float64, null when den is 0 (a rule on a null keeps the row)."""
    return pl.when(den > 0).then(num.cast(pl.Float64) / den.cast(pl.Float64)).otherwise(None)


# --- Gopher repetition ------------------------------------------------------------------------
_PRIME = np.uint64(0x100000001B3)


def _greedy_dup_chars(cand: np.ndarray, doc: np.ndarray, chars: np.ndarray, n: int, n_docs: int) -> np.ndarray:
    """Characters in repeated n-grams, scanning each document left to right, jumping n words per hit.

    ``cand`` holds the (sorted, global) positions whose n-gram occurred earlier in the document,
    ``doc`` and ``chars`` their document and n-gram length without spaces.
    """
    out = np.zeros(n_docs, dtype=np.int64)
    if cand.size == 0:
        return out
    lead = np.r_[True, doc[1:] != doc[:-1]]
    at = np.flatnonzero(lead)  # index (into cand) of each document's first hit
    while at.size:
        out[doc[at]] += chars[at]  # one hit per document per step: no repeated indices
        nxt = np.searchsorted(cand, cand[at] + n)
        ok = nxt < cand.size
        ok[ok] = doc[nxt[ok]] == doc[at[ok]]
        at = nxt[ok]
    return out


def _group_sorted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort equal keys together: (original index in sorted order, group-start mask, group-end mask).

    Keys and indices are packed into one uint64 (hash high bits, index low bits) so a plain sort
    orders groups by key and members by index; collision odds stay below 2**-40 per pair.
    """
    m = len(keys)
    bits = max(1, (m - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    packed = np.sort((keys & ~low) | np.arange(m, dtype=np.uint64))
    hashes = packed >> np.uint64(bits)
    differs = hashes[1:] != hashes[:-1]
    is_start = np.concatenate([[True], differs]) if m else np.zeros(0, dtype=bool)
    is_end = np.concatenate([differs, [True]]) if m else np.zeros(0, dtype=bool)
    return (packed & low).astype(np.int64), is_start, is_end


def repetition_ngram_stats(
    tokens: pl.Series, top_ns: Sequence[int], dup_ns: Sequence[int]
) -> dict[str, np.ndarray]:
    """Per document: top n-gram characters (``top_{n}``) and repeated n-gram characters (``dup_{n}``).

    ``top_{n}``: occurrences x length (words joined by spaces) of the most frequent n-gram, ties
    going to the earliest; ``dup_{n}``: characters (spaces excluded) of n-grams already seen in
    the document, skipping n words after each (as datatrove counts, except that an n-gram whose
    first occurrence fell inside such a skip still counts as seen).
    """
    n_docs = len(tokens)
    counts = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
    flat = tokens.explode().drop_nulls()
    total = len(flat)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    max_n = max([*top_ns, *dup_ns], default=0)
    pad = np.zeros(max_n, dtype=np.int64)
    wlen = np.concatenate([flat.str.len_chars().to_numpy().astype(np.int64), pad])
    whash = np.concatenate([flat.hash(seed=7).to_numpy(), pad.astype(np.uint64)])
    csum = np.concatenate([[0], np.cumsum(wlen)])
    out: dict[str, np.ndarray] = {}
    # Tracked positions with their running n-gram hash and length. After grouping at n, only
    # positions whose n-gram repeats stay tracked: a longer n-gram can only repeat there.
    idx = np.arange(total)
    h = whash[:total] ^ (doc.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    chars = wlen[:total].copy()
    for n in range(1, max_n + 1):
        if n > 1:
            if len(idx) == total:  # every position still tracked: slices, not gathers
                nxt_hash, nxt_len = whash[n - 1 : n - 1 + total], wlen[n - 1 : n - 1 + total]
            else:
                nxt_hash, nxt_len = whash[idx + n - 1], wlen[idx + n - 1]
            with np.errstate(over="ignore"):
                h = h * _PRIME + nxt_hash
            chars = chars + nxt_len
        if n not in top_ns and n not in dup_ns:
            continue
        # an n-gram running past its document's end is unique (its hash mixes in the next
        # document's words under this document's salt): it never repeats, so needs no masking
        order, is_start, is_end = _group_sorted(h)
        if n in top_ns:
            arr = np.zeros(n_docs, dtype=np.int64)
            has = counts >= n
            starts = offsets[:-1][has]
            arr[has] = csum[starts + n] - csum[starts] + n - 1  # all unique: the first n-gram, once
            group_first = np.flatnonzero(is_start & ~is_end)  # groups of two or more, in sorted order
            if group_first.size:
                sizes = np.flatnonzero(is_end & ~is_start) - group_first + 1
                # order repeated groups by first occurrence (so by document): pack (first, size)
                packed = np.sort((order[group_first].astype(np.uint64) << np.uint64(32)) | sizes.astype(np.uint64))
                f = (packed >> np.uint64(32)).astype(np.int64)
                sz = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
                d = doc[idx[f]]
                seg = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
                best = np.maximum.reduceat(sz, seg)  # per doc: the highest count ...
                win = np.flatnonzero(sz == np.repeat(best, np.diff(np.append(seg, len(sz)))))
                win = win[np.r_[True, d[win[1:]] != d[win[:-1]]]]  # ... first reached, i.e. earliest
                arr[d[win]] = sz[win] * (chars[f[win]] + n - 1)
            out[f"top_{n}"] = arr
        if n in dup_ns:
            later = np.zeros(len(order), dtype=bool)
            later[order[~is_start]] = True
            hits = np.flatnonzero(later)
            out[f"dup_{n}"] = _greedy_dup_chars(idx[hits], doc[idx[hits]], chars[hits], n, n_docs)
        member = np.zeros(len(order), dtype=bool)
        member[order[~(is_start & is_end)]] = True
        idx, h, chars = idx[member], h[member], chars[member]
    return out


@register_stage
class GopherRepetition(Stage):
    """Repeated lines, paragraphs and n-grams (Gopher table A1); datatrove's defaults and names.

    Args:
        dup_line_frac: max share of lines that repeat an earlier line (``dup_line_frac``).
        dup_para_frac: max share of paragraphs (split on blank lines) repeating an earlier one.
        dup_line_char_frac: max share of characters in repeated lines (``dup_line_char_frac``).
        dup_para_char_frac: max share of characters in repeated paragraphs.
        top_n_grams: ``(n, max share of characters in the most frequent n-gram)`` → ``top_{n}_gram``.
        dup_n_grams: ``(n, max share of characters in repeated n-grams)`` → ``duplicated_{n}_n_grams``.

    ``None`` disables a check (an empty list disables the n-gram checks). Empty documents are
    dropped as ``empty``.
    """

    name = "gopher_repetition"

    def __init__(
        self,
        dup_line_frac: float | None = 0.3,
        dup_para_frac: float | None = 0.3,
        dup_line_char_frac: float | None = 0.2,
        dup_para_char_frac: float | None = 0.2,
        top_n_grams: list[tuple[int, float]] = ((2, 0.2), (3, 0.18), (4, 0.16)),
        dup_n_grams: list[tuple[int, float]] = (
            (5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10),
        ),
    ):
        for n, frac in [*top_n_grams, *dup_n_grams]:
            if int(n) < 1 or not 0 <= float(frac) <= 1:
                raise ValueError(f"n-gram thresholds need n >= 1 and 0 <= frac <= 1, got ({n}, {frac})")
        self.dup_line_frac = dup_line_frac
        self.dup_para_frac = dup_para_frac
        self.dup_line_char_frac = dup_line_char_frac
        self.dup_para_char_frac = dup_para_char_frac
        self.top_n_grams = [(int(n), float(f)) for n, f in top_n_grams]
        self.dup_n_grams = [(int(n), float(f)) for n, f in dup_n_grams]

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        return in_parallel(self._compute, df)

    def _compute(self, df: pl.DataFrame) -> pl.DataFrame:
        text = pl.col(TEXT).fill_null("")
        n_chars = text.str.len_chars()
        paras = text.str.strip_chars().str.replace_all(r"\n{2,}", _PARA_SEP).str.split(_PARA_SEP)
        lines = text.str.replace_all(r"\n+", "\n").str.split("\n")
        para_dups, para_dup_chars = dup_stats(paras)
        line_dups, line_dup_chars = dup_stats(lines)
        out = df.with_columns(
            n_chars.cast(pl.Int64).alias("_n"),
            paras.list.len().cast(pl.Int64).alias("_n_paras"),
            para_dups.alias("_para_dups"),
            para_dup_chars.alias("_para_dup_chars"),
            lines.list.len().cast(pl.Int64).alias("_n_lines"),
            line_dups.alias("_line_dups"),
            line_dup_chars.alias("_line_dup_chars"),
        )
        n = pl.col("_n")
        signals = [
            _ratio(pl.col("_para_dups"), pl.col("_n_paras")).alias("gopher_dup_para_frac"),
            _ratio(pl.col("_para_dup_chars"), n).alias("gopher_dup_para_char_frac"),
            _ratio(pl.col("_line_dups"), pl.col("_n_lines")).alias("gopher_dup_line_frac"),
            _ratio(pl.col("_line_dup_chars"), n).alias("gopher_dup_line_char_frac"),
        ]
        top_ns = [n_ for n_, _ in self.top_n_grams]
        dup_ns = [n_ for n_, _ in self.dup_n_grams]
        if top_ns or dup_ns:
            tokens = words_cached(df[TEXT])
            stats = repetition_ngram_stats(tokens, top_ns, dup_ns)
            lens = out["_n"].to_numpy().astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                for n_ in top_ns:
                    frac = np.where(lens > 0, stats[f"top_{n_}"] / lens, np.nan)
                    signals.append(pl.Series(f"gopher_top_{n_}_gram_frac", frac).fill_nan(None))
                for n_ in dup_ns:
                    frac = np.where(lens > 0, stats[f"dup_{n_}"] / lens, np.nan)
                    signals.append(pl.Series(f"gopher_dup_{n_}_gram_frac", frac).fill_nan(None))
        out = out.with_columns(signals)
        return out.drop("_n", "_n_paras", "_para_dups", "_para_dup_chars", "_n_lines", "_line_dups",
                        "_line_dup_chars")

    def rules(self) -> list[Rule]:
        text = pl.col(TEXT)
        rules = [Rule("empty", text.is_not_null() & (text != ""), "document text is empty")]
        for name, col, thr in [
            ("dup_para_frac", "gopher_dup_para_frac", self.dup_para_frac),
            ("dup_para_char_frac", "gopher_dup_para_char_frac", self.dup_para_char_frac),
            ("dup_line_frac", "gopher_dup_line_frac", self.dup_line_frac),
            ("dup_line_char_frac", "gopher_dup_line_char_frac", self.dup_line_char_frac),
        ]:
            if thr:  # datatrove skips a check whose threshold is 0 or None
                rules.append(Rule(name, pl.col(col) <= thr))
        for n, frac in self.top_n_grams:
            rules.append(Rule(f"top_{n}_gram", pl.col(f"gopher_top_{n}_gram_frac") <= frac))
        for n, frac in self.dup_n_grams:
            rules.append(Rule(f"duplicated_{n}_n_grams", pl.col(f"gopher_dup_{n}_gram_frac") <= frac))
        return rules


# --- Gopher quality ---------------------------------------------------------------------------
@register_stage
class GopherQuality(Stage):
    """Gopher's document quality rules: length, word length, symbols, bullets, stop words.

    Args:
        min_doc_words / max_doc_words: bounds on words that are not only punctuation
            (``gopher_short_doc`` / ``gopher_long_doc``).
        min_avg_word_length / max_avg_word_length: bounds on their mean length
            (``gopher_below_avg_threshold`` / ``gopher_above_avg_threshold``).
        max_symbol_word_ratio: max ``#`` per word and max ``...``/``…`` per word
            (``gopher_too_many_hashes`` / ``gopher_too_many_ellipsis``).
        max_bullet_lines_ratio: max share of lines starting with ``•`` or ``-``.
        max_ellipsis_lines_ratio: max share of lines ending with ``...`` or ``…``.
        max_non_alpha_words_ratio: MIN share of words containing a letter (datatrove's name;
            ``gopher_below_alpha_threshold``).
        min_stop_words: min number of distinct ``stop_words`` present (``gopher_enough_stop_words``).
        stop_words: case-sensitive stop-word list; default Gopher's eight English words.

    ``None`` (or 0) disables a check, as in datatrove.
    """

    name = "gopher_quality"

    def __init__(
        self,
        min_doc_words: int | None = 50,
        max_doc_words: int | None = 100000,
        min_avg_word_length: int | None = 3,
        max_avg_word_length: int | None = 10,
        max_symbol_word_ratio: float | None = 0.1,
        max_bullet_lines_ratio: float | None = 0.9,
        max_ellipsis_lines_ratio: float | None = 0.3,
        max_non_alpha_words_ratio: float | None = 0.8,
        min_stop_words: int | None = 2,
        stop_words: list[str] | None = None,
    ):
        if min_doc_words and max_doc_words and min_doc_words > max_doc_words:
            raise ValueError(f"min_doc_words ({min_doc_words}) exceeds max_doc_words ({max_doc_words})")
        self.min_doc_words = min_doc_words
        self.max_doc_words = max_doc_words
        self.min_avg_word_length = min_avg_word_length
        self.max_avg_word_length = max_avg_word_length
        self.max_symbol_word_ratio = max_symbol_word_ratio
        self.max_bullet_lines_ratio = max_bullet_lines_ratio
        self.max_ellipsis_lines_ratio = max_ellipsis_lines_ratio
        self.max_non_alpha_words_ratio = max_non_alpha_words_ratio
        self.min_stop_words = min_stop_words
        self.stop_words = list(STOP_WORDS if stop_words is None else stop_words)

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        return in_parallel(self._compute, df)

    def _compute(self, df: pl.DataFrame) -> pl.DataFrame:
        text = pl.col(TEXT).fill_null("")
        toks = pl.col("_w")
        real = toks.list.eval(pl.element().filter(is_real_word(pl.element())).str.len_chars())
        n_lines = n_splitlines(text)
        norm = normalise_line_breaks(text)
        out = df.with_columns(words_cached(df[TEXT]).alias("_w")).with_columns(
            toks.list.len().cast(pl.Int64).alias("gopher_n_words"),
            real.list.len().cast(pl.Int64).alias("gopher_word_count"),
            real.list.mean().alias("gopher_avg_word_length"),
            toks.list.eval(pl.element().str.contains(r"\p{L}")).list.sum().cast(pl.Int64).alias("_alpha"),
            toks.list.eval(pl.element().filter(pl.element().is_in(self.stop_words)).n_unique())
            .list.first()
            .fill_null(0)
            .cast(pl.Int64)
            .alias("gopher_stop_word_count"),
            text.str.count_matches("#", literal=True).alias("_hashes"),
            (text.str.count_matches("...", literal=True) + text.str.count_matches("…", literal=True)).alias(
                "_ellipses"
            ),
            n_lines.alias("_n_lines"),
            # per line, as str.splitlines cuts them: starts with a bullet / ends with an ellipsis
            norm.str.count_matches(r"(?m)^[^\S\n]*[•\-]").alias("_bullets"),
            norm.str.count_matches(r"(?m)(?:\.\.\.|…)[^\S\n]*$").alias("_end_ell"),
        )
        nw = pl.col("gopher_n_words")
        out = out.with_columns(
            _ratio(pl.col("_hashes"), nw).alias("gopher_hash_ratio"),
            _ratio(pl.col("_ellipses"), nw).alias("gopher_ellipsis_ratio"),
            _ratio(pl.col("_bullets"), pl.col("_n_lines")).alias("gopher_bullet_lines_ratio"),
            _ratio(pl.col("_end_ell"), pl.col("_n_lines")).alias("gopher_end_ellipsis_lines_ratio"),
            _ratio(pl.col("_alpha"), nw).alias("gopher_alpha_words_ratio"),
        )
        return out.drop("_w", "_alpha", "_hashes", "_ellipses", "_n_lines", "_bullets", "_end_ell")

    def rules(self) -> list[Rule]:
        rules: list[Rule] = []

        def add(name: str, thr, keep: pl.Expr) -> None:
            if thr:  # datatrove skips a check whose threshold is 0 or None
                rules.append(Rule(name, keep))

        wc, avg = pl.col("gopher_word_count"), pl.col("gopher_avg_word_length")
        add("gopher_short_doc", self.min_doc_words, wc >= (self.min_doc_words or 0))
        add("gopher_long_doc", self.max_doc_words, wc <= (self.max_doc_words or 0))
        add("gopher_below_avg_threshold", self.min_avg_word_length, avg >= (self.min_avg_word_length or 0))
        add("gopher_above_avg_threshold", self.max_avg_word_length, avg <= (self.max_avg_word_length or 0))
        add("gopher_too_many_hashes", self.max_symbol_word_ratio,
            pl.col("gopher_hash_ratio") <= (self.max_symbol_word_ratio or 0))
        add("gopher_too_many_ellipsis", self.max_symbol_word_ratio,
            pl.col("gopher_ellipsis_ratio") <= (self.max_symbol_word_ratio or 0))
        add("gopher_too_many_bullets", self.max_bullet_lines_ratio,
            pl.col("gopher_bullet_lines_ratio") <= (self.max_bullet_lines_ratio or 0))
        add("gopher_too_many_end_ellipsis", self.max_ellipsis_lines_ratio,
            pl.col("gopher_end_ellipsis_lines_ratio") <= (self.max_ellipsis_lines_ratio or 0))
        add("gopher_below_alpha_threshold", self.max_non_alpha_words_ratio,
            pl.col("gopher_alpha_words_ratio") >= (self.max_non_alpha_words_ratio or 0))
        add("gopher_enough_stop_words", self.min_stop_words,
            pl.col("gopher_stop_word_count") >= (self.min_stop_words or 0))
        return rules
