"""C4 quality (line filtering that rewrites ``text``) and the user-supplied bad-words rule."""

from __future__ import annotations

import polars as pl
import pytest

from curate.errors import ConfigError
from curate.registry import build_stage
from curate.stages.c4 import C4BadWords, C4Quality, sentence_counts
from tests.stages.heuristics_common import (
    datatrove_reasons,
    dolma_texts,
    frame,
    oscar_texts,
    quality_pair,
    reasons,
)

SENTENCES = [
    "The river runs through the middle of the old town.",
    "Its bridges were built in the fifteenth century by local masons.",
    "Every spring the water rises and floods the lower streets.",
    "People have learned to live with it and keep boats at their doors.",
    "Visitors often come in April to watch the high water.",
]


def c4(**kw) -> C4Quality:
    return C4Quality(filter_no_terminal_punct=False, **kw)


def test_line_filtering_rewrites_text_and_records_what_it_removed():
    text = "\n".join(
        ["Menu", "Please enable JavaScript to view the comments.", SENTENCES[0],
         "This site uses cookies to improve your experience.", SENTENCES[1] + " [1]", "  ", *SENTENCES[2:]]
    )
    out = c4().compute(frame(text))
    assert out["text"][0] == "\n".join([SENTENCES[0], SENTENCES[1] + " ", *SENTENCES[2:]]).replace(" \n", " \n")
    assert out["c4_lines_removed"][0] == 4  # "Menu", javascript, cookies, blank
    assert out["c4_original_chars"][0] == len(text)
    assert out["c4_chars_removed"][0] == len(text) - len(out["text"][0])
    assert reasons(c4(), text) == [None]


def test_terminal_punctuation_rule_when_enabled():
    text = "\n".join([*SENTENCES, "A line without a final mark", "Ends with an ellipsis..."])
    kept = C4Quality().compute(frame(text))["text"][0]
    assert kept == "\n".join(SENTENCES)
    assert c4().compute(frame(text))["text"][0] == text


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        ([*SENTENCES, "Lorem ipsum dolor sit amet, consectetur."], "lorem_ipsum"),
        ([*SENTENCES, "function f() { return 1; } is code."], "curly_bracket"),
        (SENTENCES[:3], "too_few_sentences"),
    ],
)
def test_document_rules_use_datatrove_names(lines, reason):
    text = "\n".join(lines)
    assert reasons(c4(), text) == [reason]
    from datatrove.pipeline.filters import C4QualityFilter

    assert datatrove_reasons(C4QualityFilter(filter_no_terminal_punct=False), [text]) == [reason]


def test_bracket_in_a_removed_line_does_not_drop_the_document():
    text = "\n".join([*SENTENCES, "Enable javascript: var x = {a: 1};", "ok {"])  # "ok {" has < 3 words
    assert reasons(c4(), text) == [None]


def test_dropped_document_keeps_its_original_text():
    text = "\n".join(SENTENCES[:2])
    out = c4().compute(frame(text))
    assert out["text"][0] == text and out["c4_doc_drop"][0] is None
    kept, rejected = c4().filter(frame(text))
    assert rejected["reason"].to_list() == ["too_few_sentences"] and rejected["text"][0] == text


def test_sentence_counts_follow_spacy_sentencizer():
    from datatrove.utils.text import split_into_sentences

    lines = [
        "Hello there. This is Mr. Smith! Is it ok? yes",
        "Wait... what?! Yes (really). Done.",
        "The U.S. economy grew 3.5 percent in 2019.",
        "No final mark at all",
    ]
    assert pl.select(sentence_counts(pl.Series(lines))).to_series().to_list() == [
        len(split_into_sentences(x)) for x in lines
    ]


def test_real_documents_and_agreement_with_datatrove():
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4QualityFilter

    good, bad = quality_pair()
    assert reasons(c4(), good) == [None]
    texts = [good, bad, *dolma_texts(150)]
    ref = C4QualityFilter(filter_no_terminal_punct=False)
    want = datatrove_reasons(ref, texts)
    got = reasons(c4(), *texts)
    assert sum(g == w for g, w in zip(got, want, strict=True)) / len(texts) >= 0.98
    # where both keep a document, the rewritten text is the same
    out = c4().compute(frame(*texts))
    same = total = 0
    for i, text in enumerate(texts):
        if got[i] is None and want[i] is None:
            doc = Document(text=text, id=str(i))
            ref.filter(doc)
            total += 1
            same += doc.text == out["text"][i]
    assert total and same / total >= 0.98


def test_languages_without_spaces_have_too_few_sentences():
    for lang in ("zh", "ja", "th"):
        for r in reasons(c4(), *oscar_texts(lang)):
            assert r in {"too_few_sentences", None}
        assert "too_few_sentences" in reasons(c4(), *oscar_texts(lang))


def test_empty_batch_and_null_text():
    empty = frame().cast({"id": pl.String, "text": pl.String})
    assert c4().compute(empty).schema == c4().compute(frame("x")).schema
    out = c4().compute(pl.DataFrame({"id": ["a"], "text": [None]}))
    assert out["c4_sentences"][0] == 0 and out["c4_lines_removed"][0] == 0


def test_disabling_sentence_count_and_unsupported_mode():
    assert reasons(c4(min_num_sentences=-1), SENTENCES[0]) == [None]
    with pytest.raises(ValueError, match="split_paragraph"):
        C4Quality(split_paragraph=False)


def test_bad_words_from_a_user_file(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("darn\nheck it\n", encoding="utf-8")
    stage = C4BadWords(str(words))
    got = reasons(stage, "Well, darn.", "What the HECK IT is", "darning socks", "nothing here")
    assert got == ["document_removed_with_badwords", "document_removed_with_badwords", None, None]
    assert reasons(C4BadWords(str(words), word_boundaries=False), "darning socks") == [
        "document_removed_with_badwords"
    ]
    empty = frame().cast({"id": pl.String, "text": pl.String})
    assert stage.compute(empty)["c4_bad_word"].dtype == pl.String


def test_bad_words_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="bad_words_file"):
        C4BadWords(str(tmp_path / "absent.txt"))
    with pytest.raises(ConfigError, match="does not exist"):
        build_stage("c4_badwords", {"bad_words_file": str(tmp_path / "absent.txt")})


def test_long_word_lines_are_removed_whatever_the_limit():
    long_word = "x" * 3000
    text = "\n".join([*SENTENCES, f"A line with {long_word} in it."])
    for limit in (1000, 2500):
        out = c4(max_word_length=limit).compute(frame(text))
        assert out["c4_lines_removed"][0] == 1 and long_word not in out["text"][0]
    assert long_word in c4(max_word_length=5000).compute(frame(text))["text"][0]
