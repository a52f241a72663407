"""C4's heuristics (Raffel et al. 2020) as datatrove's C4QualityFilter applies them, plus bad words.

:class:`C4Quality` is a text-transform stage: it removes lines (too-long word, no terminal
punctuation, fewer than three words, "javascript", cookie/terms-of-use notices), removes
Wikipedia-style citations, and REWRITES ``text`` to the kept lines; what it removed is recorded
in ``c4_lines_removed``, ``c4_chars_removed`` and ``c4_original_chars``. ``c4_sentences``
counts sentences in the kept lines where the ``too_few_sentences`` rule needs it, i.e. when a
document keeps fewer lines than ``min_num_sentences``; otherwise it is the number of kept lines
(each holds at least one sentence, so the rule already passes). Whole documents are
dropped for ``lorem_ipsum``, ``curly_bracket`` and ``too_few_sentences`` (datatrove's names);
a dropped document keeps its original text.

Non-English text: line rules are language-neutral except "javascript" and the English policy
phrases. Sentences are counted at sentence-terminal marks of any script (``。``, ``।``, ``؟`` ...),
but only when the mark is followed by a space and more text, as in spaCy's English sentencizer:
Chinese or Japanese written without spaces after ``。`` counts as one sentence per line, and a
line needs three whitespace-separated words to be kept, so such documents are usually dropped
as ``too_few_sentences``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from curate.registry import register_stage
from curate.schema import TEXT
from curate.stages.base import Rule, Stage
from curate.text import TERMINAL_PUNCT_CLASS, splitlines, words

_CITATION = r"\[\d*\]|\[edit\]|\[citation needed\]"
#: Phrases marking cookie banners and legal boilerplate; a line containing one is removed.
POLICY_SUBSTRINGS = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
                     "use cookies")


# A sentence boundary as spaCy's sentencizer finds one in space-joined tokens: a token that is a
# single sentence-terminal mark, any punctuation-only tokens, then a token with a non-punctuation
# character (which starts the next sentence).
_BOUNDARY = rf"(?:^| ){TERMINAL_PUNCT_CLASS}(?: \p{{P}}+)* [^ ]*[^ \p{{P}}]"


def sentence_counts(lines: pl.Expr) -> pl.Expr:
    """Sentences in each line (a string column), as spaCy's sentencizer splits English text."""
    return words(lines).list.join(" ").str.count_matches(_BOUNDARY).cast(pl.Int64) + 1


@register_stage
class C4Quality(Stage):
    """C4 line filtering (rewrites ``text``) and document rules, with datatrove's defaults.

    Args:
        split_paragraph: only ``True`` (C4's line-by-line mode) is supported.
        remove_citations: delete ``[1]``, ``[edit]``, ``[citation needed]`` from lines.
        filter_no_terminal_punct: remove lines not ending in ``. ? ! " '`` (or ending in ``...``).
        min_num_sentences: drop documents with fewer sentences in kept lines
            (``too_few_sentences``); -1 disables.
        min_words_per_line: remove lines with fewer whitespace-separated words; -1 disables.
        max_word_length: remove lines with a longer word; -1 disables.
        filter_lorem_ipsum: drop documents with "lorem ipsum" in a kept line (``lorem_ipsum``).
        filter_javascript: remove lines mentioning "javascript".
        filter_curly_bracket: drop documents with ``{`` in a kept line (``curly_bracket``).
        filter_policy: remove lines with cookie / terms-of-use / privacy-policy phrases.
    """

    name = "c4_quality"

    def __init__(
        self,
        split_paragraph: bool = True,
        remove_citations: bool = True,
        filter_no_terminal_punct: bool = True,
        min_num_sentences: int = 5,
        min_words_per_line: int = 3,
        max_word_length: int = 1000,
        filter_lorem_ipsum: bool = True,
        filter_javascript: bool = True,
        filter_curly_bracket: bool = True,
        filter_policy: bool = True,
    ):
        if not split_paragraph:
            raise ValueError("split_paragraph=False (sentence mode) is not supported; use True")
        self.split_paragraph = split_paragraph
        self.remove_citations = remove_citations
        self.filter_no_terminal_punct = filter_no_terminal_punct
        self.min_num_sentences = min_num_sentences
        self.min_words_per_line = min_words_per_line
        self.max_word_length = max_word_length
        self.filter_lorem_ipsum = filter_lorem_ipsum
        self.filter_javascript = filter_javascript
        self.filter_curly_bracket = filter_curly_bracket
        self.filter_policy = filter_policy

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        original = pl.col(TEXT).fill_null("")
        flat = (
            df.select(splitlines(original).alias("line"))
            .with_row_index("_doc")
            .explode("line")
            .with_columns(pl.col("line").str.strip_chars())
        )
        line = pl.col("line")
        n_words = line.str.count_matches(r"\S+")
        false = pl.lit(False)
        if self.max_word_length == -1:
            too_long = false
        elif self.max_word_length < 2000:
            too_long = line.str.contains(rf"\S{{{self.max_word_length + 1}}}")
        else:  # a counted repetition this long would make a huge regex
            longest = line.str.extract_all(r"\S+").list.eval(pl.element().str.len_chars()).list.max()
            too_long = longest.fill_null(0) > self.max_word_length
        cleaned = line.str.replace_all(_CITATION, "") if self.remove_citations else line
        flat = flat.with_columns(cleaned.alias("clean"), n_words.alias("n_words"), too_long.alias("too_long"))
        clean = pl.col("clean")
        # ASCII case folding is enough: these phrases are ASCII
        def has(*phrases: str) -> pl.Expr:
            return clean.str.contains_any(list(phrases), ascii_case_insensitive=True)

        no_punct = (
            ~clean.str.contains(r"""[.?!"']$""") | clean.str.ends_with("...")
            if self.filter_no_terminal_punct
            else false
        )
        reached = ~pl.col("too_long") & ~no_punct & (pl.col("n_words") >= self.min_words_per_line)
        reached = reached & line.is_not_null()
        lorem = reached & has("lorem ipsum") if self.filter_lorem_ipsum else false
        js = has("javascript") if self.filter_javascript else false
        curly = reached & ~lorem & ~js & clean.str.contains("{", literal=True) if self.filter_curly_bracket else false
        policy = has(*POLICY_SUBSTRINGS) if self.filter_policy else false
        count_sentences = self.min_num_sentences != -1
        flat = flat.with_columns(
            pl.when(lorem).then(pl.lit("lorem_ipsum")).when(curly).then(pl.lit("curly_bracket")).alias("drop"),
            (reached & ~js & ~policy).alias("kept"),
        )
        # Every kept line holds at least one sentence, so only documents with fewer kept lines
        # than min_num_sentences need their sentences counted (the expensive part).
        flat = flat.with_row_index("_row").with_columns(pl.col("kept").sum().over("_doc").alias("_n_kept"))
        if count_sentences:
            need = pl.col("kept") & (pl.col("_n_kept") < self.min_num_sentences)
            counted = flat.filter(need).select("_row", sentence_counts(clean).alias("_s"))
            flat = flat.join(counted, on="_row", how="left", maintain_order="left")
        else:
            flat = flat.with_columns(pl.lit(None, dtype=pl.Int64).alias("_s"))
        flat = flat.with_columns(
            pl.when(pl.col("kept")).then(pl.col("_s").fill_null(1)).otherwise(0).alias("sentences")
        )
        per_doc = flat.group_by("_doc", maintain_order=True).agg(
            pl.col("drop").drop_nulls().first().alias("c4_doc_drop"),
            pl.col("clean").filter(pl.col("kept")).alias("_kept"),
            (pl.col("line").is_not_null() & ~pl.col("kept")).sum().cast(pl.Int64).alias("c4_lines_removed"),
            pl.col("sentences").filter(pl.col("kept")).sum().cast(pl.Int64).alias("c4_sentences"),
        )
        # documents without lines may vanish in the explode: put every document back, in order
        per_doc = (
            pl.DataFrame({"_doc": pl.Series(range(df.height), dtype=pl.UInt32)})
            .join(per_doc, on="_doc", how="left")
            .with_columns(
                pl.col("_kept").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                pl.col("c4_lines_removed").fill_null(0),
                pl.col("c4_sentences").fill_null(0) if count_sentences else pl.lit(None, dtype=pl.Int64),
            )
        )
        kept_lines = pl.col("_kept")
        per_doc = per_doc.with_columns(kept_lines.list.join("\n").str.strip_chars().alias("_new_text"))
        dropped = per_doc["c4_doc_drop"].is_not_null() | (
            per_doc["c4_sentences"] < self.min_num_sentences
        ).fill_null(False)
        original_text = df[TEXT] if df.height else pl.Series(TEXT, [], dtype=pl.String)
        new_text = pl.Series(TEXT, per_doc["_new_text"]).zip_with(~dropped, original_text)
        original_text = original_text.fill_null("")
        original_chars = original_text.str.len_chars().cast(pl.Int64)
        return df.with_columns(
            new_text.alias(TEXT),
            per_doc["c4_lines_removed"].alias("c4_lines_removed"),
            (original_chars - new_text.str.len_chars().cast(pl.Int64)).alias("c4_chars_removed"),
            original_chars.alias("c4_original_chars"),
            per_doc["c4_sentences"].alias("c4_sentences"),
            per_doc["c4_doc_drop"].alias("c4_doc_drop"),
        )

    def rules(self) -> list[Rule]:
        drop = pl.col("c4_doc_drop")
        rules = [
            Rule("lorem_ipsum", drop.ne_missing("lorem_ipsum"), '"lorem ipsum" in a kept line'),
            Rule("curly_bracket", drop.ne_missing("curly_bracket"), "'{' in a kept line"),
        ]
        if self.min_num_sentences != -1:
            rules.append(Rule("too_few_sentences", pl.col("c4_sentences") >= self.min_num_sentences))
        return rules


@register_stage
class C4BadWords(Stage):
    """Drop documents containing a word from a user-supplied list (C4's bad-words rule).

    Args:
        bad_words_file: path to a UTF-8 file with one word or phrase per line (curate ships no
            list; C4 used the LDNOOBW list). Matching is case-insensitive.
        word_boundaries: match only whole words (flanked by non-word characters); set False for
            languages written without spaces (Chinese, Japanese, Thai), as C4 does.

    Signal ``c4_bad_word`` (the first match, null if none); rule ``document_removed_with_badwords``.
    """

    name = "c4_badwords"

    def __init__(self, bad_words_file: str, word_boundaries: bool = True):
        path = Path(bad_words_file).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"bad_words_file {str(path)!r} does not exist; pass a file with one word per line"
            )
        bad = sorted({w.strip().lower() for w in path.read_text(encoding="utf-8").splitlines() if w.strip()})
        if not bad:
            raise ValueError(f"bad_words_file {str(path)!r} has no words")
        self.bad_words_file = str(path)
        self.word_boundaries = word_boundaries
        alternation = "|".join(_escape(w) for w in sorted(bad, key=len, reverse=True))
        self._pattern = rf"(?:\W|^)({alternation})(?:\W|$)" if word_boundaries else f"({alternation})"

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        text = pl.col(TEXT).fill_null("").str.to_lowercase()
        return df.with_columns(text.str.extract(self._pattern, 1).alias("c4_bad_word"))

    def rules(self) -> list[Rule]:
        return [Rule("document_removed_with_badwords", pl.col("c4_bad_word").is_null())]


def _escape(word: str) -> str:
    """Escape regex metacharacters for Polars' (Rust) regex syntax."""
    return "".join("\\" + c if c in r"\.+*?()|[]{}^$#&-~" else c for c in word)
