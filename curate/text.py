"""Vectorised text primitives shared by the heuristic-quality stages: words, lines, punctuation.

Most helpers return a Polars expression, so a whole batch is split and counted in Rust;
:func:`words_cached` shares one tokenisation between consecutive stages and :func:`in_parallel`
runs a stage's computation on row slices in parallel threads.

Words follow the shape of spaCy's blank English tokenizer (what datatrove's Gopher and FineWeb
filters use): text splits on whitespace, punctuation at the edges of a chunk becomes its own token
(``"end."`` → ``end``, ``.``), ``n't`` / ``'s`` / ``'m`` ... contractions split off, hyphens
between letters split (``e-mail`` → ``e``, ``-``, ``mail``), and URLs, decimals (``3.5``) and
dotted abbreviations (``U.S.``) stay whole. It is a regex approximation, measured against spaCy
by ``benchmarks/vs_datatrove.py`` and the tests (token counts within 0.5% on real web text); a
token's exact boundaries may differ on odd inputs (emoticons, LaTeX, some non-English words).

Scripts written without spaces (Chinese, Japanese, Thai, Khmer, ...) have no word boundaries
for this splitter: a run of such characters between spaces or punctuation is ONE word (spaCy's
English tokenizer behaves the same way). Word counts there count phrases, not words.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl

#: Characters datatrove treats as punctuation when deciding whether a word is "only symbols":
#: ASCII punctuation, a set of typographic and CJK marks, C0/C1 control characters other than
#: tab and newline, and every sentence-terminal character (see ``TERMINAL_PUNCT_CLASS``).
_PUNCT_BODY = (
    r"!-/:-@\[-`{-~"  # ASCII punctuation
    r"«´»–—’“”„…∶━►、〈〉《》「」【】％（），１：；～"
    r"\x00-\x08\x0b\x0c\x0d-\x1f\x7f-\x9f"
)

#: Sentence-terminal marks: Unicode's Sentence_Terminal property as datatrove's (older) list has
#: it, i.e. with three Khmer signs added and the few marks newer Unicode versions added removed.
_TERMINAL_BODY = (
    r"[\p{Sentence_Terminal}\x{17D6}\x{17D9}\x{17DA}]"
    r"--[\x{FE16}\x{2CF9}\x{FE12}\x{1B4E}\x{113D4}\x{16D6F}\x{2CFB}\x{113D5}\x{1B7F}\x{FE15}"
    r"\x{2CFA}\x{16D6E}\x{1B4F}\x{2024}]"
)
TERMINAL_PUNCT_CLASS = f"[{_TERMINAL_BODY}]"
PUNCT_CLASS = f"[{_PUNCT_BODY}{TERMINAL_PUNCT_CLASS}]"
#: Matches a character that is NOT punctuation: a word containing one is a "real" word.
NON_PUNCT_CLASS = f"[^{_PUNCT_BODY}{TERMINAL_PUNCT_CLASS}]"

#: Line breaks recognised by Python's ``str.splitlines`` (``\r\n`` first so it counts once).
_LINE_BREAKS = r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\x{2028}\x{2029}]"

# --- word splitting -----------------------------------------------------------------------------
# spaCy's model: split on whitespace; peel "prefix" characters off a chunk's start and "suffix"
# characters off its end, one token each; split the rest at a few "infixes" (a hyphen between
# letters, ...); keep listed abbreviations whole. Infixes are turned into spaces first, then one
# regex finds prefix characters, cores and suffix characters.
_QUOTES = "'\"”“`‘´’‚„»«「」『』（）〔〕【】《》〈〉⟦⟧"
_PUNCT_LIST = "…,:;!?¿؟¡()\\[\\]{}<>_#*&。？！，、；：～·।،۔؛٪"
#: Characters peeled off the END of a chunk (besides "." after a lower-case letter or digit).
_SUFFIX = _PUNCT_LIST + _QUOTES + "—–%\\p{So}"  # So: symbols and emoji (©, °, ™)
#: Characters peeled off the START of a chunk.
_PREFIX = _SUFFIX + "§=$£€¥฿₽₴₹₩₪₫₱₺₿"
# Abbreviations spaCy keeps whole with their final period (titles, months, dotted initials, a
# single capital) and dotted runs like "U.S." / "e.g.".
_ABBREVIATIONS = (
    r"(?:\w\.){2,}|"
    r"(?:Ph\.D|Mrs?|Ms|Dr|St|Jr|Mt|Inc|Ltd|Co|co|Corp|Bros|Prof|Gen|Gov|Sen|Rep|Rev|Adm|Messrs|vs|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.|"
    r"\p{Lu}\.|[a-z]\."
)
# Emoticons spaCy keeps as one token.
_EMOTICONS = r"\):|:\)|\(:|:\(|:-\)|:-\(|;\)|:P|:p|:D|\(=|=\)|<3|:/|:'\)"
_TOKEN_PATTERN = "|".join(
    [
        # ellipses and doubled quotes
        r"\.{2,}|…|''|``",
        # split-off contractions (``words`` puts a space before them)
        r"(?i:n['’]t|['’](?:s|m|re|ve|ll|d))(?-u:\b)",
        _ABBREVIATIONS,
        _EMOTICONS,
        # a core ending in a capital after a non-capital keeps its period ("C&L.")
        rf"[^\s{_PREFIX}]\S*[^\s\p{{Lu}}]\p{{Lu}}\.",
        # a core: starts with a non-prefix character, ends with a non-suffix, non-period one
        rf"[^\s{_PREFIX}](?:\S*[^\s{_SUFFIX}.])?",
        # a period, or a prefix / suffix character, on its own
        rf"[.{_PREFIX}]",
    ]
)
_URL = r"(?:https?://|www\.)\S+|Ph\.D\."  # and spaCy's one mixed-case dotted exception
# Infix splits "(left)(infix)(right)" → "left infix right", all kinds in one regex: branch k
# captures into its own three groups and the replacement concatenates every branch's groups
# (unmatched groups are empty). The URL branch matches a whole URL first so nothing inside it
# is split (spaCy keeps URLs whole); it only gains two spaces.
# The scripts spaCy counts as letters in its infix rules (not Armenian, Georgian, Thai, ...).
_ALPHA = (
    r"\p{L}&&[\p{Latin}\p{Cyrillic}\p{Greek}\p{Ethiopic}\p{Bengali}\p{Hebrew}\p{Arabic}\p{Sinhala}"
    r"\p{Devanagari}\p{Kannada}\p{Tamil}\p{Telugu}\p{Hangul}\p{Hiragana}\p{Katakana}\p{Han}]"
)
_INFIX_BRANCHES = [
    rf"([[{_ALPHA}]\d])(-+|[–—~:<>=/,])([{_ALPHA}])",  # e-mail, Re:Title, AC/DC, a,b
    r"(\p{Ll})(\.)(\p{Lu})",  # end.Next → end . Next
    r"(\d)([-+*^])(\d)",  # 3-4 → 3 - 4
    r"()(\.{2,}|…)()",  # ellipses stand alone
    r"(\w)((?i:n['’]t|['’](?:s|m|re|ve|ll|d)))(\W|$)",  # don't → do n't, it's → it 's
    r"(?-u:\b)((?i:can|gon|wan))((?i:not|na))(?-u:\b)",  # spaCy's exceptions: cannot, gonna
]


def _infix_pass(branches: list[str]) -> tuple[str, str]:
    pattern = "|".join([f"({_URL})", *branches])
    groups = [[2 + 3 * k + j for k in range(len(branches))] for j in range(3)]
    repl = "$1" + " ".join("".join(f"${{{g}}}" for g in col) for col in groups)
    return pattern, repl


_INFIXES = [_infix_pass(_INFIX_BRANCHES), _infix_pass(_INFIX_BRANCHES[:1])]  # twice for a-b-c


def _spaced(text: pl.Expr) -> pl.Expr:
    spaced = text.fill_null("")
    for pattern, repl in _INFIXES:
        spaced = spaced.str.replace_all(pattern, repl)
    return spaced


def words(text: pl.Expr) -> pl.Expr:
    """Split ``text`` into a list of words and punctuation tokens (spaCy-English-like)."""
    return _spaced(text).str.extract_all(_TOKEN_PATTERN)


def count_words(text: pl.Expr) -> pl.Expr:
    """Number of tokens :func:`words` would give, without building the lists."""
    return _spaced(text).str.count_matches(_TOKEN_PATTERN).cast(pl.Int64)


_CACHE: list[pl.DataFrame] = []  # recent (hash, words) frames, newest last
_CACHE_LOCK = threading.Lock()
_CACHE_SLOTS = 4


def words_cached(texts: pl.Series) -> pl.Series:
    """:func:`words` of each text, reusing the lists computed for the same texts in recent calls.

    Consecutive stages over one batch (Gopher repetition, then Gopher quality on its survivors)
    tokenise once: lists are remembered by a 64-bit hash of the text for the last few calls.
    """
    todo = pl.DataFrame({"h": texts.fill_null("").hash(seed=11), "t": texts}).with_row_index("i")
    with _CACHE_LOCK:
        recent = list(reversed(_CACHE))
    found = []
    for cached in recent:
        if not todo.height:
            break
        hit = todo.join(cached, on="h", how="inner")
        if hit.height:
            found.append(hit)
            todo = todo.join(cached, on="h", how="anti")
    if todo.height or not found:
        found.append(todo.with_columns(words(pl.col("t")).alias("w")))
    frame = pl.concat(found).sort("i")
    with _CACHE_LOCK:
        _CACHE.append(frame.select("h", "w").unique("h", keep="first"))
        del _CACHE[:-_CACHE_SLOTS]
    return frame["w"]


def in_parallel(compute: Callable[[pl.DataFrame], pl.DataFrame], df: pl.DataFrame, min_rows: int = 500
                ) -> pl.DataFrame:
    """``compute(df)`` on row slices in parallel threads (Polars and NumPy release the GIL)."""
    k = min(pl.thread_pool_size(), df.height // min_rows)
    if k <= 1:
        return compute(df)
    bounds = [df.height * i // k for i in range(k + 1)]
    with ThreadPoolExecutor(k) as pool:
        parts = list(pool.map(compute, [df.slice(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]))
    return pl.concat(parts, how="vertical")


def normalise_line_breaks(text: pl.Expr) -> pl.Expr:
    """Replace every line break ``str.splitlines`` knows with ``\\n``."""
    return text.fill_null("").str.replace_all(_LINE_BREAKS, "\n")


def splitlines(text: pl.Expr) -> pl.Expr:
    """Lines as Python's ``str.splitlines`` gives them (no trailing empty line; none for "")."""
    norm = normalise_line_breaks(text)
    trimmed = pl.when(norm.str.ends_with("\n")).then(norm.str.slice(0, norm.str.len_chars() - 1)).otherwise(norm)
    return pl.when(norm == "").then(pl.lit([], dtype=pl.List(pl.String))).otherwise(trimmed.str.split("\n"))


def n_splitlines(text: pl.Expr) -> pl.Expr:
    """Number of lines ``str.splitlines`` would give."""
    norm = normalise_line_breaks(text)
    n = norm.str.count_matches("\n", literal=True)
    return (
        pl.when(norm == "")
        .then(0)
        .otherwise(n + 1 - norm.str.ends_with("\n").cast(pl.UInt32))
        .cast(pl.Int64)
    )


def dup_stats(items: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(count, total characters) of list elements equal to an earlier element of the same list."""
    dup = items.list.eval(pl.element().filter(~pl.element().is_first_distinct()).str.len_chars())
    return dup.list.len().cast(pl.Int64), dup.list.sum().cast(pl.Int64)


def is_real_word(token: pl.Expr) -> pl.Expr:
    """True for a token with at least one character that is not punctuation."""
    return token.str.contains(NON_PUNCT_CLASS)
