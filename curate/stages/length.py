"""Document length: empty and enormous documents, counted and named rather than silently lost."""

from __future__ import annotations

import polars as pl

from curate.schema import TEXT
from curate.stages.base import Rule, Stage


class LengthFilter(Stage):
    """Character, word and line counts, with bounds that drop empty and enormous documents.

    Args:
        min_chars: drop documents with fewer non-whitespace characters (``empty_doc`` when 0 remain,
            ``too_short`` otherwise). ``None`` disables.
        max_chars: drop documents longer than this many characters (``too_long``); a 50 MB page is
            almost always a dump of logs or binary. ``None`` disables.
    """

    name = "length"

    def __init__(self, min_chars: int | None = 1, max_chars: int | None = 1_000_000):
        if min_chars is not None and max_chars is not None and min_chars > max_chars:
            raise ValueError(f"min_chars ({min_chars}) must not exceed max_chars ({max_chars})")
        self.min_chars = min_chars
        self.max_chars = max_chars

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        text = pl.col(TEXT).fill_null("")
        return df.with_columns(
            text.str.len_chars().cast(pl.Int64).alias("n_chars"),
            text.str.count_matches(r"\S+").cast(pl.Int64).alias("n_words"),
            (text.str.count_matches("\n") + 1).cast(pl.Int64).alias("n_lines"),
            text.str.strip_chars().str.len_chars().cast(pl.Int64).alias("_stripped"),
        ).rename({"_stripped": "n_chars_stripped"})

    def rules(self) -> list[Rule]:
        rules = [Rule("empty_doc", pl.col("n_chars_stripped") > 0, "document is empty or whitespace")]
        if self.min_chars is not None and self.min_chars > 1:
            rules.append(Rule("too_short", pl.col("n_chars_stripped") >= self.min_chars))
        if self.max_chars is not None:
            rules.append(Rule("too_long", pl.col("n_chars") <= self.max_chars))
        return rules
