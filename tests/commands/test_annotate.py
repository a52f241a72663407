"""The annotate → train → score loop against a real chat-completions server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import polars as pl
import pytest

from curate.annotate import AnnotationCache, Annotator, ChatClient, builtin_prompt, stratified_sample
from curate.annotate.client import FatalEndpointError
from curate.annotate.inputs import read_documents
from tests.commands.llm_server import UNPARSEABLE_MARK, FakeLLM, doc_key, keyword_score
from tests.conftest import REPO, shared

DOLMA = ("web_text", "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
CLI = [sys.executable, "-c", "from curate.cli import main; main()"]


def curate(*args, env=None, **kw):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **(env or {})}, **kw)


def cache_rows(path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select text_hash, score, justification, prompt_tokens from annotations").fetchall()
    finally:
        con.close()


def docs_frame(n: int | None = None) -> pl.DataFrame:
    df = pl.concat(list(read_documents(str(shared(*DOLMA)), layout="dolma")))
    df = df.filter(pl.col("text").str.strip_chars() != "").unique("text", keep="first", maintain_order=True)
    return df.head(n) if n else df


def test_loop_end_to_end_with_kill_and_resume(tmp_path):
    """annotate (killed with SIGKILL mid-way, resumed) → train → score, paying for each document once."""
    data = shared(*DOLMA)
    cache = tmp_path / "labels.duckdb"
    args = ["annotate", "-i", data, "--layout", "dolma", "--endpoint", None, "--model", "fake-70b",
            "--cache", cache, "--sample", 240, "--stratify-by", "domain", "--workers", 3, "--backoff", 0.01]
    with FakeLLM(delay=0.05, api_key="sk-test") as llm:
        args[6] = llm.url
        env = {**os.environ, "CURATE_TEST_KEY": "sk-test"}
        proc = subprocess.Popen([*CLI, *map(str, args), "--api-key-env", "CURATE_TEST_KEY"], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while llm.answered < 40 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()[1].decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.5)  # let the server finish the requests that were in flight
        paid_first = llm.answered
        stored = len(cache_rows(cache))
        # every answer the client received was committed; only answers in flight (one per worker) are lost
        assert paid_first - 3 <= stored <= paid_first and stored >= 30

        res = curate(*args, "--api-key-env", "CURATE_TEST_KEY", env={"CURATE_TEST_KEY": "sk-test"})
        assert res.returncode == 0, res.stderr
        rows = cache_rows(cache)
        n_docs = len(rows)
        assert n_docs > 200
        # the rerun asked only for documents the cache did not hold: nothing is paid twice, except
        # answers in flight at the moment of the kill (at most one per worker)
        assert llm.answered - paid_first == n_docs - stored
        assert sum(c > 1 for c in llm.per_doc.values()) <= 3
        assert f"{stored:,} answered from the cache" in res.stderr
        # every stored score is what the server said, with its justification and token counts
        con = duckdb.connect(str(cache), read_only=True)
        texts = dict(con.execute("select text_hash, text from documents").fetchall())
        con.close()
        for h, score, why, tokens in rows:
            assert score == keyword_score(texts[h]) and why and tokens > 0

        # a third run is free
        before = llm.requests
        res = curate(*args, "--api-key-env", "CURATE_TEST_KEY", "-o", tmp_path / "labels.jsonl",
                     env={"CURATE_TEST_KEY": "sk-test"})
        assert res.returncode == 0, res.stderr
        assert llm.requests == before
        exported = pl.read_ndjson(tmp_path / "labels.jsonl")
        assert exported.height == n_docs and {"id", "score", "int_score", "justification"} <= set(exported.columns)

    model = tmp_path / "model"
    res = curate("train", cache, "--model-type", "hashed_ngram", "--output", model)
    assert res.returncode == 0, res.stderr
    assert "Spearman" in res.stdout and "confusion matrix" in res.stdout
    metrics = json.loads((model / "metrics.json").read_text())["metrics"]
    assert metrics["spearman"] > 0.4  # the fake LLM's keyword rule is learnable
    card = (model / "README.md").read_text()
    assert "fake-70b" in card and "edu-rubric-v1" in card and "held-out" in card

    out = tmp_path / "scores.parquet"
    res = curate("score", "--input", data, "--output", out, "--model", model)
    assert res.returncode == 0, res.stderr
    scores = pl.read_parquet(out)
    assert scores.columns == ["id", "score", "int_score"]
    n_input = sum(b.height for b in read_documents(str(data)))
    assert scores.height == n_input  # every document, no filtering
    assert scores["score"].is_between(0, 5).all()
    assert (scores["int_score"] == scores["score"].clip(0, 5).round(0, mode="half_to_even").cast(pl.Int64)).all()


def test_retries_429_and_500_with_backoff(tmp_path):
    docs = docs_frame(30)
    with FakeLLM(fail_every=4, fail_status=500, fail_first_per_doc=1, fail_first_status=429) as llm, \
            AnnotationCache(tmp_path / "c.duckdb") as cache:
        client = ChatClient(llm.url, "m", max_retries=6, backoff=0.001)
        stats = Annotator(client, cache, builtin_prompt(), workers=4).annotate(docs)
        assert stats.n_failed == 0 and stats.n_ok == docs.height
        assert stats.n_retried == docs.height  # every document's first attempt got a 429
        assert llm.errors >= docs.height and llm.requests == llm.answered + llm.errors
        assert llm.answered == docs.height
        assert stats.prompt_tokens > 0 and stats.completion_tokens > 0


def test_gives_up_after_retries_and_rerun_retries_only_failures(tmp_path):
    docs = docs_frame(12)
    with FakeLLM(fail_first_per_doc=3, fail_first_status=503) as llm, \
            AnnotationCache(tmp_path / "c.duckdb") as cache:
        client = ChatClient(llm.url, "m", max_retries=1, backoff=0.001)
        first = Annotator(client, cache, builtin_prompt(), workers=2).annotate(docs)
        assert first.n_failed == docs.height and first.n_ok == 0
        assert "503" in first.errors[0] and "gave up after 2 attempts" in first.errors[0]
        client = ChatClient(llm.url, "m", max_retries=3, backoff=0.001)
        second = Annotator(client, cache, builtin_prompt(), workers=2).annotate(docs)
        assert second.n_ok == docs.height and second.n_cached == 0


def test_unparseable_answers_are_cached_without_score(tmp_path):
    docs = docs_frame(6).with_columns(
        pl.when(pl.int_range(pl.len()) < 2).then(pl.col("text") + UNPARSEABLE_MARK).otherwise(pl.col("text"))
        .alias("text"))
    with FakeLLM() as llm, AnnotationCache(tmp_path / "c.duckdb") as cache:
        annot = Annotator(ChatClient(llm.url, "m"), cache, builtin_prompt())
        stats = annot.annotate(docs)
        assert (stats.n_ok, stats.n_unparsed) == (4, 2)
        again = annot.annotate(docs)
        assert again.n_cached == 6 and llm.requests == 6  # paid answers are never re-bought
        assert cache.labels().height == 4  # training sees only scored rows


def test_cache_key_includes_model_and_prompt(tmp_path):
    docs = docs_frame(5)
    with FakeLLM() as llm, AnnotationCache(tmp_path / "c.duckdb") as cache:
        Annotator(ChatClient(llm.url, "a"), cache, builtin_prompt()).annotate(docs)
        Annotator(ChatClient(llm.url, "b"), cache, builtin_prompt()).annotate(docs)
        prompt = tmp_path / "p.txt"
        prompt.write_text("Rate this page 0-5 for usefulness in school.\n<<<\n{text}\n>>>\nEnd with 'Score: N'.")
        from curate.annotate import load_prompt

        Annotator(ChatClient(llm.url, "a"), cache, load_prompt(prompt)).annotate(docs)
        assert llm.requests == 15
        assert llm.models == {"a": 10, "b": 5}


def test_rate_limit_spaces_request_starts(tmp_path):
    docs = docs_frame(8)
    rate = 25.0
    with FakeLLM() as llm, AnnotationCache(tmp_path / "c.duckdb") as cache:
        Annotator(ChatClient(llm.url, "m", rate=rate), cache, builtin_prompt(), workers=4).annotate(docs)
        starts = sorted(llm.start_times)
    span = starts[-1] - starts[0]
    # 8 starts at <= 25/s need at least 7 intervals of 40 ms (a lower bound; never flaky)
    assert span >= 7 / rate * 0.9


def test_bad_api_key_stops_the_run_with_a_clear_error(tmp_path):
    data = shared(*DOLMA)
    with FakeLLM(api_key="right") as llm:
        res = curate("annotate", "-i", data, "--endpoint", llm.url, "--model", "m", "--cache",
                     tmp_path / "c.duckdb", "--sample", 20, "--api-key-env", "CURATE_TEST_KEY",
                     env={"CURATE_TEST_KEY": "wrong"})
        assert res.returncode == 2
        assert "401" in res.stderr and "API key" in res.stderr
        assert llm.requests <= 8  # stopped instead of failing every document


def test_fatal_error_raises_in_library_use(tmp_path):
    with FakeLLM() as llm, AnnotationCache(tmp_path / "c.duckdb") as cache:
        client = ChatClient(llm.url.replace("/v1", "/nowhere") + "/x", "m")
        client.url = client.url.replace("/chat/completions", "/wrong")
        with pytest.raises(FatalEndpointError, match="404"):
            Annotator(client, cache, builtin_prompt()).annotate(docs_frame(3))


def test_stratified_sample_is_balanced_and_reproducible():
    batches = list(read_documents(str(shared("web_text", "oscar2019_hfdatasets_dummy_166langs.jsonl.gz")),
                                  fields=["lang"], batch_size=100))
    sizes = pl.concat(batches).group_by("lang").len()
    a = stratified_sample(iter(batches), 300, "lang", seed=1)
    b = stratified_sample(iter(batches), 300, "lang", seed=1)
    assert a.equals(b) and a.height == 300
    counts = a.group_by("stratum").len()
    # balanced: no stratum gets more than the equal share unless smaller strata left room
    share = 300 // sizes.height
    big = counts.join(sizes, left_on="stratum", right_on="lang").filter(pl.col("len_right") > share + 1)
    small = counts.join(sizes, left_on="stratum", right_on="lang").filter(pl.col("len_right") <= share)
    assert (small["len"] == small["len_right"]).all()  # small languages are taken whole
    assert big["len"].max() - big["len"].min() <= 1
    c = stratified_sample(iter(batches), 300, "lang", seed=2)
    assert not a["id"].equals(c["id"])


def test_proportional_sample_follows_stratum_sizes():
    batches = list(read_documents(str(shared("web_text", "oscar2019_hfdatasets_dummy_166langs.jsonl.gz")),
                                  fields=["lang"]))
    sizes = dict(pl.concat(batches).group_by("lang").len().iter_rows())
    total = sum(sizes.values())
    sample = stratified_sample(iter(batches), 100, "lang", allocation="proportional")
    got = dict(sample.group_by("stratum").len().iter_rows())
    assert sample.height == 100
    for lang, n in got.items():
        assert abs(n - 100 * sizes[lang] / total) < 1.0


def test_documents_sent_are_truncated_and_hashed(tmp_path):
    docs = docs_frame(3)
    with FakeLLM() as llm, AnnotationCache(tmp_path / "c.duckdb") as cache:
        Annotator(ChatClient(llm.url, "m"), cache, builtin_prompt(), max_chars=100).annotate(docs)
        sent = set(llm.per_doc)
    assert sent == {doc_key(t[:100]) for t in docs["text"].to_list()}


def test_ctrl_c_stops_cleanly_and_keeps_answers(tmp_path):
    data = shared(*DOLMA)
    cache = tmp_path / "c.duckdb"
    with FakeLLM(delay=0.05) as llm:
        proc = subprocess.Popen([*CLI, "annotate", "-i", str(data), "--endpoint", llm.url, "--model", "m",
                                 "--cache", str(cache), "--workers", "2"], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while llm.answered < 10 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "interrupted" in err and "rerun the same command to resume" in err
        time.sleep(0.3)
        assert len(cache_rows(cache)) >= llm.answered - 2  # answers that arrived were kept
