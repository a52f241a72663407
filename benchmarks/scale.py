"""Scale-out and memory: throughput with 1 vs 2 workers, peak RSS at 1x vs 10x input.

Builds inputs at run time by resampling real documents (default: ../shared/data/web_text's Dolma
file), runs the same pipeline in fresh subprocesses, and prints

    workers=1: ... docs/s    workers=2: ... docs/s    speedup ...
    1x: peak RSS ...         10x: peak RSS ...        ratio ...

with the last line ``speedup_2_workers=<x> rss_ratio_10x=<x>`` (targets: >= 1.7 and < 1.2).
Worker scaling is measured process against process: the 1-worker run gets cores/2 Polars
threads, as each of 2 workers does; the 1-worker run with every thread is printed for reference.

Usage: python benchmarks/scale.py [--input FILE.jsonl.gz] [--docs 20000] [--pipeline pipelines/fineweb.yaml]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT_INPUT = REPO.parent / "shared" / "data" / "web_text" / "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"


def make_shards(src: Path, folder: Path, shards: int, docs_per_shard: int, seed: int = 0) -> int:
    """Write ``shards`` JSONL.gz files of resampled, lightly perturbed real documents; return bytes."""
    with gzip.open(src, "rt") as f:
        docs = [json.loads(line)["text"] for line in f]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for s in range(shards):
        path = folder / f"part-{s:03d}.jsonl.gz"
        with gzip.open(path, "wt", compresslevel=1) as f:
            for i in range(docs_per_shard):
                text = rng.choice(docs)
                if rng.random() < 0.5:  # perturb so copies are not byte-identical
                    words = text.split(" ")
                    rng.shuffle(words[: min(len(words), 20)])
                    text = " ".join(words)
                line = json.dumps({"id": f"{s}-{i}", "text": text}) + "\n"
                total += len(line)
                f.write(line)
    return total


RUNNER = """
import resource, sys, time
from curate.pipeline import Pipeline
pipe = Pipeline.from_yaml(sys.argv[1])
t = time.perf_counter()
s = pipe.run(input=sys.argv[2], output=sys.argv[3], workers=int(sys.argv[4]), overwrite=True, progress=False)
dt = time.perf_counter() - t
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"RESULT {s.n_read} {dt} {own} {kids}")
"""


def run(pipeline: Path, data: Path, out: Path, workers: int, threads: int | None = None) -> tuple[int, float, int]:
    """Run the pipeline in a fresh interpreter; return (docs, seconds, peak RSS in KiB of any process).

    ``threads`` caps Polars' thread pool of the single-process run (the local executor gives each
    of N workers cores/N threads by itself).
    """
    env = dict(os.environ)
    if threads is not None:
        env["POLARS_MAX_THREADS"] = str(threads)
    res = subprocess.run([sys.executable, "-c", RUNNER, str(pipeline), str(data), str(out), str(workers)],
                         capture_output=True, text=True, cwd=REPO, env=env)
    line = [x for x in res.stdout.splitlines() if x.startswith("RESULT")]
    if res.returncode != 0 or not line:
        raise SystemExit(f"run failed:\n{res.stderr[-3000:]}")
    _, n, dt, own, kids = line[0].split()
    return int(n), float(dt), max(int(own), int(kids))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    ap.add_argument("--docs", type=int, default=20_000, help="documents in the 1x input")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--skip-memory", action="store_true", help="only the 1 vs 2 workers comparison")
    ap.add_argument("--pipeline", type=Path, default=REPO / "pipelines" / "fineweb.yaml")
    args = ap.parse_args()
    if not args.input.is_file():
        raise SystemExit(f"input not found: {args.input} (pass --input FILE.jsonl.gz)")
    pipeline = args.pipeline
    with tempfile.TemporaryDirectory(prefix="curate-scale-") as tmp:
        tmp = Path(tmp)
        if not pipeline.is_file():
            raise SystemExit(f"pipeline not found: {pipeline}")
        # the benchmark reads its own inputs and sets the batch size, so the 1x input already spans
        # several batches per shard (otherwise 10x input would simply mean bigger batches)
        cfg = yaml.safe_load(pipeline.read_text())
        cfg.pop("input", None)
        cfg["batch_size"] = args.batch_size
        pipeline = tmp / "pipeline.yaml"
        pipeline.write_text(yaml.safe_dump(cfg))
        one = tmp / "x1"
        ten = tmp / "x10"
        per = args.docs // args.shards
        b1 = make_shards(args.input, one, args.shards, per)
        print(f"pipeline {args.pipeline.name}; 1x input: {args.shards} shards x {per:,} docs = {b1 / 1e6:,.0f} MB")
        cores = os.cpu_count() or 1
        n1, t1, rss1 = run(pipeline, one, tmp / "o1", 1, threads=max(1, cores // 2))
        n2, t2, _ = run(pipeline, one, tmp / "o2", 2)
        speedup = t1 / t2
        print(f"workers=1 ({max(1, cores // 2)} thread): {n1 / t1:,.0f} docs/s ({b1 / t1 / 1e6:.1f} MB/s)   "
              f"workers=2 (1 thread each): {n2 / t2:,.0f} docs/s ({b1 / t2 / 1e6:.1f} MB/s)   "
              f"speedup {speedup:.2f}x")
        n1t, t1t, _ = run(pipeline, one, tmp / "o1t", 1)
        print(f"for reference, workers=1 with all {cores} threads: {n1t / t1t:,.0f} docs/s "
              f"(workers=2 is {t1t / t2:.2f}x that)")
        if args.skip_memory:
            print(f"speedup_2_workers={speedup:.2f}")
            return
        b10 = make_shards(args.input, ten, args.shards, per * 10, seed=1)
        n10, t10, rss10 = run(pipeline, ten, tmp / "o10", 1, threads=max(1, cores // 2))
        ratio = rss10 / rss1
        print(f"1x ({b1 / 1e6:,.0f} MB): peak RSS {rss1 / 1024:,.0f} MiB   10x ({b10 / 1e6:,.0f} MB, {n10:,} docs, "
              f"{n10 / t10:,.0f} docs/s): peak RSS {rss10 / 1024:,.0f} MiB   ratio {ratio:.2f}")
        print(f"speedup_2_workers={speedup:.2f} rss_ratio_10x={ratio:.2f}")


if __name__ == "__main__":
    main()
