"""FineWeb's own quality heuristics (Penedo et al. 2024) as datatrove's FineWebQualityFilter applies them.

Rules and reasons: ``empty`` (no non-blank line), ``line_punct_ratio`` (too few lines end in
terminal punctuation), ``short_line_ratio`` (too many short lines), ``char_dup_ratio`` (too many
characters in repeated lines) and ``list_ratio`` (too many line breaks per word).

Non-English text: terminal punctuation covers every script's sentence marks (``。``, ``।``, ``؟``...).
Words for ``list_ratio`` come from :func:`curate.text.words`: text without spaces (Chinese,
Japanese, Thai) has few "words" per line, so list-like layout is flagged more readily there.
"""

from __future__ import annotations

import polars as pl

from curate.registry import register_stage
from curate.schema import TEXT
from curate.stages.base import Rule, Stage
from curate.text import TERMINAL_PUNCT_CLASS, count_words, dup_stats


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den > 0).then(num.cast(pl.Float64) / den.cast(pl.Float64)).otherwise(None)


@register_stage
class FineWebQuality(Stage):
    """FineWeb's line-punctuation, short-line, duplicate-character and list-ratio rules.

    Args:
        line_punct_thr: min share of non-blank lines ending in terminal punctuation.
        line_punct_exclude_zero: do not apply ``line_punct_ratio`` when no line ends in one.
        stop_chars: characters that count as terminal punctuation; default every script's
            sentence-terminal marks.
        short_line_thr: max share of non-blank lines of at most ``short_line_length`` characters.
        short_line_length: what counts as a short line.
        char_duplicates_ratio: max share of (non-newline) characters in lines repeating earlier ones.
        new_line_ratio: max line breaks per word.
    """

    name = "fineweb_quality"

    def __init__(
        self,
        line_punct_thr: float = 0.12,
        line_punct_exclude_zero: bool = False,
        stop_chars: list[str] | None = None,
        short_line_thr: float = 0.67,
        short_line_length: int = 30,
        char_duplicates_ratio: float = 0.01,
        new_line_ratio: float = 0.3,
    ):
        if short_line_length < 0:
            raise ValueError(f"short_line_length must be >= 0, got {short_line_length}")
        self.line_punct_thr = line_punct_thr
        self.line_punct_exclude_zero = line_punct_exclude_zero
        self.stop_chars = list(stop_chars) if stop_chars is not None else None
        self.short_line_thr = short_line_thr
        self.short_line_length = short_line_length
        self.char_duplicates_ratio = char_duplicates_ratio
        self.new_line_ratio = new_line_ratio

    def _ends_in_stop_char(self) -> str:
        if self.stop_chars is None:
            return f"{TERMINAL_PUNCT_CLASS}$"
        return "(?:" + "|".join(_escape(c) for c in self.stop_chars) + ")$" if self.stop_chars else "$^"

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        text = pl.col(TEXT).fill_null("")
        lines = text.str.split("\n").list.eval(pl.element().filter(pl.element().str.strip_chars() != ""))
        _, dup_chars = dup_stats(pl.col("_lines"))
        out = df.with_columns(lines.alias("_lines")).with_columns(
            pl.col("_lines").list.len().cast(pl.Int64).alias("fineweb_n_lines"),
            pl.col("_lines").list.eval(pl.element().str.contains(self._ends_in_stop_char())).list.sum()
            .alias("_punct"),
            pl.col("_lines")
            .list.eval(pl.element().str.len_chars() <= self.short_line_length)
            .list.sum()
            .alias("_short"),
            dup_chars.alias("_dup_chars"),
            (text.str.len_chars() - text.str.count_matches("\n", literal=True)).alias("_chars"),
            text.str.count_matches("\n", literal=True).alias("_newlines"),
            count_words(text).alias("fineweb_n_words"),
        )
        n = pl.col("fineweb_n_lines")
        return out.with_columns(
            _ratio(pl.col("_punct"), n).alias("fineweb_line_punct_ratio"),
            _ratio(pl.col("_short"), n).alias("fineweb_short_line_ratio"),
            _ratio(pl.col("_dup_chars"), pl.col("_chars")).alias("fineweb_char_dup_ratio"),
            _ratio(pl.col("_newlines"), pl.col("fineweb_n_words")).alias("fineweb_list_ratio"),
        ).drop("_lines", "_punct", "_short", "_dup_chars", "_chars", "_newlines")

    def rules(self) -> list[Rule]:
        punct = pl.col("fineweb_line_punct_ratio")
        punct_keep = punct >= self.line_punct_thr
        if self.line_punct_exclude_zero:
            punct_keep = punct_keep | (punct == 0)
        return [
            Rule("empty", pl.col("fineweb_n_lines") > 0, "no non-blank line"),
            Rule("line_punct_ratio", punct_keep),
            Rule("short_line_ratio", pl.col("fineweb_short_line_ratio") <= self.short_line_thr),
            Rule("char_dup_ratio", pl.col("fineweb_char_dup_ratio") <= self.char_duplicates_ratio),
            Rule("list_ratio", pl.col("fineweb_list_ratio") <= self.new_line_ratio),
        ]


def _escape(s: str) -> str:
    return "".join("\\" + c if c in r"\.+*?()|[]{}^$#&-~" else c for c in s)
