"""Reading scores out of LLM answers: the formats real models produce, and the ones to refuse."""

from __future__ import annotations

import pytest

from curate.annotate import builtin_prompt, load_prompt, parse_score


@pytest.mark.parametrize("answer, score, why", [
    ("Clear tutorial on fractions.\nEducational score: 4", 4.0, "Clear tutorial on fractions."),
    ('{"score": 3, "justification": "coherent but incomplete"}', 3.0, "coherent but incomplete"),
    ('Here you go:\n```json\n{"reason": "ads only", "educational_score": "0"}\n```', 0.0, "ads only"),
    ("**Reasoning:** good intro.\n\n**Score:** 2/5", 2.0, "good intro."),
    ("Spam page.\n\n1", 1.0, "Spam page."),
    ("Total: 5 out of 5", 5.0, ""),
    ("A score of 5 would need exercises; this has none.\nEducational score: 3", 3.0, None),
    ("Educational Score: 2.5", 2.5, ""),
])
def test_parses_common_formats(answer, score, why):
    parsed = parse_score(answer)
    assert parsed.score == score
    if why is not None:
        assert parsed.justification == why


@pytest.mark.parametrize("answer", ["", None, "I cannot rate this page.", "Educational score: 7",
                                    "Score: -1", '{"score": "high"}'])
def test_refuses_missing_or_out_of_range_scores(answer):
    assert parse_score(answer).score is None


def test_rubric_is_additive_0_to_5_and_hash_is_stable(tmp_path):
    prompt = builtin_prompt()
    assert prompt.user_template.count("+1 ") == 5
    assert prompt.hash == builtin_prompt().hash and len(prompt.hash) == 16
    msgs = prompt.messages("Photosynthesis turns light into sugar.")
    assert msgs[0]["role"] == "system" and "Photosynthesis turns light into sugar." in msgs[1]["content"]
    assert "{text}" not in msgs[1]["content"]
    own = tmp_path / "rubric.txt"
    own.write_text("Is this page useful for a chemistry class? Answer 'Score: N' (0-5).")
    custom = load_prompt(own)
    assert custom.hash != prompt.hash and custom.system is None
    assert custom.messages("doc")[-1]["content"].endswith("<<<\ndoc\n>>>")
