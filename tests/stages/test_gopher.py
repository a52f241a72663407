"""Gopher repetition and quality stages: datatrove's rules, names and decisions, vectorised."""

from __future__ import annotations

import polars as pl
import pytest

from curate.errors import ConfigError
from curate.registry import build_stage
from curate.stages.gopher import GopherQuality, GopherRepetition, repetition_ngram_stats
from curate.text import words
from tests.stages.heuristics_common import (
    datatrove_reasons,
    dolma_texts,
    frame,
    oscar_texts,
    quality_pair,
    reasons,
)

PROSE = (
    "The history of the city goes back to the early medieval period, when a small settlement grew "
    "around the river crossing. Merchants came to trade with the farmers of the valley, and the "
    "market that they founded still takes place every week. Over the centuries the town acquired "
    "walls, a cathedral and a university, and it became known for its printing houses. Today the "
    "old town is a protected site that many visitors come to see with their own eyes."
)


def test_well_written_prose_passes_both_stages():
    assert reasons(GopherRepetition(), PROSE) == [None]
    assert reasons(GopherQuality(), PROSE) == [None]


def test_real_encyclopedia_article_passes_and_matches_datatrove():
    good, bad = quality_pair()
    assert reasons(GopherRepetition(), good) == [None]
    assert reasons(GopherQuality(), good) == [None]
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter

    for ours, ref in [(GopherRepetition(), GopherRepetitionFilter()), (GopherQuality(), GopherQualityFilter())]:
        assert reasons(ours, good, bad) == datatrove_reasons(ref, [good, bad])


def test_forum_boilerplate_scores_worse_than_the_article():
    good, bad = quality_pair()
    q = GopherQuality().compute(frame(good, bad))
    assert q["gopher_word_count"][0] > 10 * q["gopher_word_count"][1]
    assert q["gopher_stop_word_count"][0] > q["gopher_stop_word_count"][1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Too short to be a document but still the words of a sentence.", "gopher_short_doc"),
        (" ".join(["a", "an", "to", "of", "the", "be", "by", "in", "on", "at"] * 10), "gopher_below_avg_threshold"),
        (" ".join(["extraordinarily"] * 60 + ["the", "and"] * 5), "gopher_above_avg_threshold"),
        (PROSE + " " + "#tag " * 20, "gopher_too_many_hashes"),
        (PROSE + " wait... " * 12, "gopher_too_many_ellipsis"),
        ("\n".join(f"- item number {i} of the list with the words" for i in range(20)), "gopher_too_many_bullets"),
        ("\n".join(f"line {i} of the story and then it went on..." for i in range(10)) + "\n" + PROSE,
         "gopher_too_many_end_ellipsis"),
        (PROSE + " " + " ".join(str(i) for i in range(200)), "gopher_below_alpha_threshold"),
        (PROSE.replace(" the ", " a ").replace(" and ", " or ").replace(" to ", " at ").replace(" of ", " in ")
         .replace(" with ", " by ").replace(" that ", " this ").replace("The ", "A "),
         "gopher_enough_stop_words"),
    ],
)
def test_each_quality_rule_drops_with_datatrove_reason(text, reason):
    assert reasons(GopherQuality(), text) == [reason]
    from datatrove.pipeline.filters import GopherQualityFilter

    assert datatrove_reasons(GopherQualityFilter(), [text]) == [reason]


def test_long_doc_and_disabled_checks():
    assert reasons(GopherQuality(max_doc_words=60), PROSE) == ["gopher_long_doc"]
    short = "Too short to be a document but still the words of a sentence."
    assert reasons(GopherQuality(min_doc_words=None), short) == [None]
    assert "gopher_enough_stop_words" not in [r.name for r in GopherQuality(min_stop_words=None).rules()]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("\n\n".join(["Same paragraph of text here."] * 3 + ["Other one.", PROSE]), "dup_para_frac"),
        ("\n\n".join(["A repeated paragraph that is quite long. " * 6] * 2 + ["One.", "Two.", "Three.", PROSE]),
         "dup_para_char_frac"),
        ("\n".join(["Home", "Menu", "Home", "Menu", "Home", PROSE]), "dup_line_frac"),
        ("\n".join(["This whole line repeats itself word for word. " * 5] * 2 + ["a", "b", "c", PROSE]),
         "dup_line_char_frac"),
        ("buy now " * 40 + PROSE, "top_2_gram"),
        (PROSE + " " + PROSE.replace("\n", " "), "duplicated_5_n_grams"),
    ],
)
def test_each_repetition_rule_drops_with_datatrove_reason(text, reason):
    assert reasons(GopherRepetition(), text) == [reason]
    from datatrove.pipeline.filters import GopherRepetitionFilter

    assert datatrove_reasons(GopherRepetitionFilter(), [text]) == [reason]


def test_ngram_stats_equal_datatrove_counts_on_the_same_words():
    rep = pytest.importorskip("datatrove.pipeline.filters.gopher_repetition_filter")
    texts = dolma_texts(120)
    tokens = pl.DataFrame({"t": texts}).select(words(pl.col("t")))["t"]
    stats = repetition_ngram_stats(tokens, [2, 3, 4], [5, 8, 10])
    close = total = 0
    for i, toks in enumerate(tokens.to_list()):
        for n in (2, 3, 4):
            grams = rep.get_n_grams(toks, n)
            assert stats[f"top_{n}"][i] == (rep.find_top_duplicate(grams) if grams else 0)
        for n in (5, 8, 10):
            ref = rep.find_all_duplicate(toks, n)
            total += 1
            close += abs(stats[f"dup_{n}"][i] - ref) <= 0.1 * max(ref, 1)
    assert close / total > 0.95  # exact except where a first occurrence fell inside a skipped span


def test_agrees_with_datatrove_on_real_web_text():
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter

    texts = dolma_texts(150)
    for ours, ref in [(GopherRepetition(), GopherRepetitionFilter()), (GopherQuality(), GopherQualityFilter())]:
        got, want = reasons(ours, *texts), datatrove_reasons(ref, texts)
        same = sum(g == w for g, w in zip(got, want, strict=True)) / len(texts)
        assert same >= 0.98, (ours.name, same)


def test_empty_batch_keeps_columns_and_types():
    empty = frame().cast({"id": pl.String, "text": pl.String})
    full = frame(PROSE)
    for stage in (GopherRepetition(), GopherQuality()):
        assert stage.compute(empty).schema == stage.compute(full).schema
        kept, rejected = stage.filter(empty)
        assert kept.height == rejected.height == 0


def test_null_text_is_handled():
    df = pl.DataFrame({"id": ["a", "b"], "text": [None, PROSE]})
    _, rej = GopherRepetition().filter(df)
    assert rej["reason"].to_list() == ["empty"]
    _, rej = GopherQuality().filter(df)
    assert rej["reason"].to_list() == ["gopher_short_doc"]


def test_cjk_and_thai_count_phrases_as_words_and_are_dropped():
    """No spaces: a whole phrase is one word, so such documents fail the length/word-length rules."""
    for lang in ("zh", "ja", "th"):
        texts = [t for t in oscar_texts(lang) if len(t) < 5000]
        q = GopherQuality().compute(frame(*texts))
        assert (q["gopher_word_count"] < q["text"].str.len_chars() / 4).all()
        got = reasons(GopherQuality(), *texts)
        assert all(r in {"gopher_short_doc", "gopher_above_avg_threshold", "gopher_enough_stop_words"} for r in got)


def test_non_english_fails_english_stop_words_unless_given_its_own():
    texts = [t for t in oscar_texts("fr") if len(t.split()) >= 80]
    assert texts
    assert set(reasons(GopherQuality(), *texts)) <= {"gopher_enough_stop_words", None}
    french = GopherQuality(stop_words=["le", "la", "les", "de", "des", "et", "un", "une", "du", "en"])
    assert "gopher_enough_stop_words" not in reasons(french, *texts)


def test_pipeline_parameters_validate():
    stage = build_stage("gopher_repetition", {"top_n_grams": [[2, 0.3]], "dup_line_frac": None})
    assert [r.name for r in stage.rules()][:1] == ["empty"]
    assert "top_2_gram" in [r.name for r in stage.rules()]
    with pytest.raises(ConfigError):
        build_stage("gopher_quality", {"min_doc_word": 5})
    with pytest.raises(ConfigError):
        build_stage("gopher_repetition", {"dup_n_grams": [[5, 1.5]]})


def test_parallel_slices_give_the_same_signals_as_one_pass():
    from curate.text import in_parallel

    texts = dolma_texts(400) * 3
    df = frame(*texts)
    for stage in (GopherRepetition(), GopherQuality()):
        serial = stage._compute(df)
        parallel = in_parallel(stage._compute, df, min_rows=300)
        assert parallel.equals(serial)


def test_word_cache_returns_lists_in_input_order_on_partial_hits():
    from curate.text import words_cached

    texts = pl.Series(["one two", None, "three-four five", "one two", "six"])
    expected = pl.select(words(pl.lit(texts))).to_series().to_list()
    assert words_cached(texts).to_list() == expected
    assert words_cached(texts[1:]).to_list() == expected[1:]
    assert words_cached(texts.reverse()).to_list() == expected[::-1]
    assert words_cached(pl.Series(["new text", "six"])).to_list() == [["new", "text"], ["six"]]


def test_word_splitting_matches_spacy_on_real_text():
    from datatrove.utils.text import split_into_words

    pytest.importorskip("spacy")
    texts = dolma_texts(150)
    ours = pl.DataFrame({"t": texts}).select(words(pl.col("t")))["t"].to_list()
    same = sum(split_into_words(t) == o for t, o in zip(texts, ours, strict=True))
    ref_total = sum(len(split_into_words(t)) for t in texts)
    assert same / len(texts) > 0.6  # identical token lists for most documents
    assert abs(sum(map(len, ours)) - ref_total) / ref_total < 0.005  # and within 0.5% in count
