"""Kill -9 a real run (with global dedup steps) at several moments, resume it, get the same output."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time

import polars as pl
import pytest

from tests.conftest import REPO, shared

PIPELINE = """name: kill-test
batch_size: 200
stages:
  - type: length
    min_chars: 300
  - type: exact_dedup
  - type: minhash_dedup
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """16 JSONL shards resampled from real web text, full of duplicates (work to be killed mid-way)."""
    src = shared("web_text", "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz")
    with gzip.open(src, "rt") as f:
        docs = [json.loads(line) for line in f]
    rng = random.Random(7)
    folder = tmp_path_factory.mktemp("corpus")
    for shard in range(16):
        with gzip.open(folder / f"part-{shard:02d}.jsonl.gz", "wt", compresslevel=1) as f:
            for i in range(1000):
                d = rng.choice(docs)
                f.write(json.dumps({"id": f"{shard}-{i}", "text": d["text"]}) + "\n")
    pipeline = folder / "p.yaml"
    pipeline.write_text(PIPELINE)
    return folder, pipeline


def _run(pipeline, data, out, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "curate.cli", "run", str(pipeline), "-i", str(data), "-o", str(out),
         "--workers", "2", "--no-progress", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=REPO,
    )


def _output(out):
    kept = pl.read_parquet(out / "kept" / "*.parquet").sort("id")
    rejected = pl.read_parquet(out / "rejected" / "*.parquet").sort("id")
    return kept, rejected


def test_sigkill_at_any_moment_then_resume_gives_identical_output(corpus, tmp_path):
    folder, pipeline = corpus
    data = str(folder / "*.jsonl.gz")
    ref_out = tmp_path / "ref"
    proc = _run(pipeline, data, ref_out)
    t0 = time.monotonic()
    assert proc.wait(timeout=600) == 0, proc.stderr.read().decode()
    full = time.monotonic() - t0
    ref_kept, ref_rejected = _output(ref_out)

    outcomes = []
    for fraction in (0.15, 0.4, 0.65, 0.9):
        out = tmp_path / f"killed-{fraction}"
        proc = _run(pipeline, data, out)
        time.sleep(full * fraction)
        finished_anyway = proc.poll() is not None
        if not finished_anyway:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.5)  # let orphaned pool workers notice their parent is gone
        done_before = len(list((out / "_state" / "shards" / "p0").glob("*.json")))
        res = _run(pipeline, data, out, "--resume")
        assert res.wait(timeout=600) == 0, res.stderr.read().decode()
        kept, rejected = _output(out)
        assert kept.equals(ref_kept), f"kept rows differ after a kill at {fraction:.0%}"
        assert rejected.equals(ref_rejected), f"rejected rows differ after a kill at {fraction:.0%}"
        assert kept["id"].n_unique() == kept.height  # no duplicates
        assert not list(out.rglob("*.tmp"))
        outcomes.append((fraction, finished_anyway, done_before))
    # at least one kill must have landed mid-run with some but not all shards complete
    assert any(0 < done < 16 and not fin for _, fin, done in outcomes), outcomes
