"""Exact and MinHash dedup: real near-duplicates found, unrelated documents never removed, runs resumable."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import polars as pl
import pytest

from curate.commands.dedup import build_index
from curate.dedup.text import simplify_expr
from curate.errors import ConfigError
from curate.pipeline import Pipeline
from curate.registry import build_stage
from curate.stages.dedup import ExactDedup, MinHashDedup
from tests.conftest import shared

DOLMA = "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"


def five_grams(text: str) -> set[str]:
    """True word 5-gram set of the simplified text."""
    simple = pl.select(simplify_expr(pl.lit(text))).item()
    words = simple.split(" ") if simple else []
    return {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}


def jaccard(a: str, b: str) -> float:
    x, y = five_grams(a), five_grams(b)
    return len(x & y) / len(x | y) if x | y else 0.0


def real_docs(limit: int | None = None) -> list[dict]:
    """Dolma web documents (id, text) with at least 50 words."""
    with gzip.open(shared("web_text", DOLMA), "rt") as f:
        docs = [json.loads(line) for line in f]
    docs = [{"id": d["id"], "text": d["text"]} for d in docs if len(d["text"].split()) >= 50]
    return docs[:limit] if limit else docs


def edited(text: str, rate: float, seed: int) -> str:
    """``text`` with about ``rate`` of its words replaced."""
    rng = random.Random(seed)
    words = text.split()
    return " ".join("zzqx" + str(rng.randint(0, 999)) if rng.random() < rate else w for w in words)


def write_jsonl(path: Path, docs: list[dict]) -> None:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))


def run_output(out: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept ids, rejected id/dup_of/reason) of a run, sorted."""
    kept = pl.read_parquet(out / "kept" / "*.parquet").select("id", "dup_cluster").sort("id")
    rej = pl.read_parquet(out / "rejected" / "*.parquet").select("id", "dup_of", "reason").sort("id")
    return kept, rej


# MinHash on the licence fixtures ------------------------------------------------------------------
def test_mit_licenses_are_near_duplicates_and_pytorch_license_is_not():
    folder = shared("neardup", "cs336_documents_with_fuzzy_duplicates")
    files = sorted(folder.glob("*.txt"))
    df = pl.DataFrame({"id": [f.name for f in files], "text": [f.read_text() for f in files]})
    kept, rejected = MinHashDedup().filter(df)
    assert rejected["id"].to_list() == ["react_mit_license.txt"]
    assert rejected["reason"].to_list() == ["near_dup"]
    assert rejected["dup_of"].to_list() == ["rails_mit_license.txt"]  # keep=first: the smallest id
    by_id = {r["id"]: r for r in kept.to_dicts()}
    assert by_id["pytorch_license.txt"]["dup_cluster"] is None
    assert by_id["rails_mit_license.txt"]["dup_cluster"] == "rails_mit_license.txt"


def test_keep_longest_keeps_the_longer_mit_license():
    folder = shared("neardup", "cs336_documents_with_fuzzy_duplicates")
    files = sorted(folder.glob("*mit*.txt"))
    df = pl.DataFrame({"id": [f.name for f in files], "text": [f.read_text() for f in files]})
    longest = max(files, key=lambda f: len(f.read_text())).name
    kept, rejected = MinHashDedup(keep="longest").filter(df)
    assert kept["id"].to_list() == [longest]
    assert rejected["dup_of"].to_list() == [longest]


# exact dedup --------------------------------------------------------------------------------------
def test_exact_copies_differing_in_case_spacing_and_punctuation_are_dropped():
    text = real_docs(1)[0]["text"]
    variants = [text, text.upper(), "  " + text.replace(" ", "   ") + "\n", text.replace(".", " .") + "!!"]
    df = pl.DataFrame({"id": ["d", "a", "c", "b"], "text": variants})
    df = pl.concat([df, pl.DataFrame({"id": ["e", "f", "g"], "text": [text[: len(text) // 2], "", ""]})])
    kept, rejected = ExactDedup().filter(df)
    assert sorted(rejected["id"].to_list()) == ["b", "c", "d"]
    assert set(rejected["dup_of"]) == {"a"} and set(rejected["reason"]) == {"exact_dup"}
    assert sorted(kept["id"].to_list()) == ["a", "e", "f", "g"]  # a prefix and empty texts are not copies


def test_exact_dedup_on_url_and_highest_score():
    df = pl.DataFrame({
        "id": ["a", "b", "c", "d"],
        "text": ["one", "two", "three", "four"],
        "url": ["https://Example.com/page/", "https://example.com/page#top", "https://example.com/other", None],
        "score": [0.2, 0.9, 0.5, 0.1],
    })
    kept, rejected = ExactDedup(on="url", keep="highest_score").filter(df)
    assert rejected.select("id", "dup_of").rows() == [("a", "b")]
    assert sorted(kept["id"].to_list()) == ["b", "c", "d"]
    with pytest.raises(ValueError, match="score"):
        ExactDedup(keep="highest_score", score_column="missing").filter(df)


def test_empty_batch_gives_decision_columns():
    for stage in (ExactDedup(), MinHashDedup()):
        out = stage.compute(pl.DataFrame(schema={"id": pl.String, "text": pl.String, "url": pl.String}))
        assert out.height == 0
        assert out.schema["dup_cluster"] == pl.String and out.schema["dup_of"] == pl.String


def test_bad_parameters_are_config_errors():
    with pytest.raises(ConfigError, match="keep"):
        build_stage("minhash_dedup", {"keep": "shortest"})
    with pytest.raises(ConfigError, match="num_buckets"):
        build_stage("minhash_dedup", {"num_buckets": 0})
    with pytest.raises(ConfigError, match="dedup-index"):
        build_stage("exact_dedup", {"index": "/nonexistent/index"})


# real web text: unrelated documents are never removed ------------------------------------------
def test_only_true_near_duplicates_are_removed_from_real_web_text():
    docs = real_docs()
    rng = random.Random(7)
    injected = []
    for i, d in enumerate(rng.sample(docs, 60)):
        rate = [0.0, 0.01, 0.03][i % 3]
        injected.append({"id": f"zz-copy-{i}", "text": edited(d["text"], rate, seed=i), "of": d["id"]})
    df = pl.DataFrame(docs + [{"id": c["id"], "text": c["text"]} for c in injected])
    kept, rejected = MinHashDedup().filter(df)
    texts = dict(zip(df["id"], df["text"], strict=True))
    for rid, of in rejected.select("id", "dup_of").iter_rows():
        assert jaccard(texts[rid], texts[of]) >= 0.5, f"{rid} removed as a near-dup of {of} but they are unrelated"
    both = pl.concat([kept, rejected], how="diagonal")
    clusters = dict(zip(both["id"], both["dup_cluster"], strict=True))
    for c in injected:
        if jaccard(c["text"], texts[c["of"]]) >= 0.8:
            assert clusters[c["id"]] is not None and clusters[c["id"]] == clusters[c["of"]], c["id"]
    assert rejected.height >= len(injected) * 0.9


# Pipeline.run: shards, workers, resume, index ----------------------------------------------------
@pytest.fixture
def sharded_corpus(tmp_path: Path) -> tuple[Path, list[dict]]:
    """Three JSONL shards of real documents, with copies (exact and edited) spread across shards."""
    docs = real_docs(240)
    copies = [{"id": f"copy-{i}", "text": edited(d["text"], 0.01 if i % 2 else 0.0, seed=i)}
              for i, d in enumerate(docs[:30])]
    everything = docs + copies
    random.Random(1).shuffle(everything)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for s in range(3):
        write_jsonl(folder / f"part-{s}.jsonl", everything[s::3])
    return folder, everything


def dedup_pipeline() -> Pipeline:
    return Pipeline([ExactDedup(), MinHashDedup()], batch_size=50)


def test_multi_shard_run_with_two_workers_equals_one_worker(sharded_corpus, tmp_path: Path):
    folder, docs = sharded_corpus
    one = dedup_pipeline().run(str(folder), tmp_path / "w1", workers=1, progress=False)
    two = dedup_pipeline().run(str(folder), tmp_path / "w2", workers=2, progress=False)
    assert one.n_read == two.n_read == len(docs)
    k1, r1 = run_output(tmp_path / "w1")
    k2, r2 = run_output(tmp_path / "w2")
    assert k1.equals(k2) and r1.equals(r2)
    assert set(r1["reason"]) == {"exact_dup", "near_dup"}
    removed = set(r1["id"])
    assert {f"copy-{i}" for i in range(30)} <= removed | set(r1["dup_of"])


def test_resume_after_completed_reduce_skips_it(sharded_corpus, tmp_path: Path, monkeypatch):
    folder, _ = sharded_corpus
    out = tmp_path / "run"
    dedup_pipeline().run(str(folder), out, workers=1, progress=False)
    before = run_output(out)
    decisions = out / "_state" / "global" / "1-minhash_dedup" / "decisions.parquet"
    stamp = decisions.stat().st_mtime_ns
    # simulate a crash after the last reduce: the final phase's outputs and markers are gone
    for marker in (out / "_state" / "shards" / "p2").glob("*.json"):
        marker.unlink()
    for kept in (out / "kept").glob("*.parquet"):
        kept.unlink()

    real_reduce = MinHashDedup.reduce

    def reduce_outside_run(self, ctx):  # schema inference reduces an empty frame in a temp dir: allowed
        assert out not in ctx.work_dir.parents, f"reduce ran again on resume in {ctx.work_dir}"
        real_reduce(self, ctx)

    monkeypatch.setattr(MinHashDedup, "reduce", reduce_outside_run)
    monkeypatch.setattr(ExactDedup, "reduce", reduce_outside_run)
    dedup_pipeline().run(str(folder), out, workers=1, resume=True, progress=False)
    assert decisions.stat().st_mtime_ns == stamp
    after = run_output(out)
    assert before[0].equals(after[0]) and before[1].equals(after[1])


def test_dedup_against_an_index_of_an_earlier_run(tmp_path: Path):
    docs = real_docs(200)
    old, new = docs[:120], docs[120:]
    write_jsonl(tmp_path / "old.jsonl", old)
    Pipeline([MinHashDedup()]).run(str(tmp_path / "old.jsonl"), tmp_path / "old_run", progress=False)
    n_files, n_docs = build_index(tmp_path / "old_run", tmp_path / "index")
    kept_old = pl.read_parquet(tmp_path / "old_run" / "kept" / "*.parquet")["id"].to_list()
    assert n_docs == len(kept_old)
    # this month: new documents plus re-crawled copies (new ids) of last month's kept ones
    recrawled = [{"id": f"new-{i}", "text": edited(t, 0.01, seed=i)}
                 for i, t in enumerate(pl.read_parquet(tmp_path / "old_run" / "kept" / "*.parquet")["text"][:25])]
    write_jsonl(tmp_path / "new.jsonl", new + recrawled)
    stages = [ExactDedup(index=str(tmp_path / "index")), MinHashDedup(index=[str(tmp_path / "index")])]
    Pipeline(stages).run(str(tmp_path / "new.jsonl"), tmp_path / "new_run", progress=False)
    kept, rejected = run_output(tmp_path / "new_run")
    dropped = dict(rejected.select("id", "dup_of").iter_rows())
    for i in range(25):
        assert dropped.get(f"new-{i}") == kept_old[i], f"new-{i} should point at {kept_old[i]}"
    assert not set(dropped.values()) - set(kept_old) - set(kept["id"])


def test_index_built_with_other_minhash_parameters_is_refused(tmp_path: Path):
    docs = real_docs(20)
    write_jsonl(tmp_path / "a.jsonl", docs)
    Pipeline([ExactDedup()]).run(str(tmp_path / "a.jsonl"), tmp_path / "run", progress=False)
    build_index(tmp_path / "run", tmp_path / "index", num_buckets=20, hashes_per_bucket=5)
    with pytest.raises(ValueError, match="rebuild"):
        MinHashDedup(index=str(tmp_path / "index"))
    assert ExactDedup(index=str(tmp_path / "index")).index_files()


def test_dedup_index_command(tmp_path: Path):
    from typer.testing import CliRunner

    from curate.cli import app

    write_jsonl(tmp_path / "a.jsonl", real_docs(10))
    Pipeline([ExactDedup()]).run(str(tmp_path / "a.jsonl"), tmp_path / "run", progress=False)
    result = CliRunner().invoke(app, ["dedup-index", str(tmp_path / "run"), "--output", str(tmp_path / "idx")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "idx" / "meta.json").is_file()
    again = CliRunner().invoke(app, ["dedup-index", str(tmp_path / "run"), "--output", str(tmp_path / "idx")])
    assert again.exit_code != 0 and "overwrite" in again.output
