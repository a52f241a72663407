"""Catalog query latency over a 1,000,000-document run: the funnel, a per-reason sample, a what-if.

    python benchmarks/catalog.py --input ../shared/data/web_text/ [--docs 1000000] [--workers 2]

Builds a real run of ``--docs`` documents: the real documents given are resampled (each a random
slice of a real text, 0 to ``--max-chars`` characters, so the length rules fire in realistic
proportions; ids unique, URLs from the real CCNet pages with a per-document path, languages from
OSCAR's labels) into JSONL shards, and ``Pipeline([LengthFilter(min_chars=200, max_chars=2000)])``
runs over them, writing ``kept/``, ``rejected/`` and ``catalog.duckdb`` as any run does. Then each
question is asked through the catalog (DuckDB, ``curate.open``) and, side by side, with Polars
scanning the same Parquet (what a user without the catalog would write), ``--repeat`` times each:

- funnel: ``funnel()`` plus ``reasons()`` (the per-reason counts are a group-by over the data);
- sample: ``sample_by_reason(5)``;
- what-if: ``whatif('n_chars_stripped', '>=', 300)``.

Figures are the median of the repeats (first, cold-cache call printed too). Other processes share
this machine's two cores, so timings are noisy. Last line: ``funnel_s=<> sample_s=<> whatif_s=<>``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import curate  # noqa: E402
from curate.io.readers.base import FieldMap  # noqa: E402
from curate.pipeline import Pipeline  # noqa: E402
from curate.stages.length import LengthFilter  # noqa: E402


def load_pool(inputs: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Texts, URLs (CCNet ids are page URLs) and OSCAR language labels of the real JSONL documents."""
    texts, urls, langs = [], [], []
    files = [f for p in inputs for f in (sorted(Path(p).glob("*.jsonl*")) if Path(p).is_dir() else [Path(p)])]
    for f in files:
        with (gzip.open(f, "rt", encoding="utf-8") if f.suffix == ".gz" else open(f, encoding="utf-8")) as fh:
            for line in fh:
                doc = json.loads(line)
                if doc.get("text"):
                    texts.append(doc["text"])
                if str(doc.get("id", "")).startswith("http"):
                    urls.append(doc["id"])
                if doc.get("lang"):
                    langs.append(doc["lang"])
    return texts, urls, langs


def generate(out: Path, n_docs: int, shards: int, max_chars: int, seed: int, inputs: list[str]) -> list[Path]:
    """Resample the real documents into ``shards`` JSONL files of ``n_docs`` documents in all."""
    texts, urls, langs = load_pool(inputs)
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    per = -(-n_docs // shards)
    pool = pl.Series(texts)
    for s in range(shards):
        n = min(per, n_docs - s * per)
        pick = rng.integers(0, len(texts), n)
        lengths = rng.integers(0, max_chars + 1, n)
        starts = (rng.random(n) * np.maximum(pool.str.len_chars().to_numpy()[pick] - lengths, 0)).astype(np.int64)
        df = pl.DataFrame({
            "id": [f"bench-{s}-{i}" for i in range(n)],
            "text": pool.gather(pick).str.slice(pl.Series(starts), pl.Series(lengths)),
            "url": [f"{urls[j]}/bench/{i}" if urls else None for i, j in enumerate(rng.integers(0, max(len(urls), 1), n))],
            "lang": pl.Series(langs).gather(rng.integers(0, len(langs), n)) if langs else None,
        })
        path = out / f"shard-{s:03d}.jsonl"
        df.write_ndjson(path)
        paths.append(path)
    return paths


def curate_summary(run: Path) -> SimpleNamespace:
    """The counts of an existing run, from its catalog."""
    con = curate.open(run)
    n_read = con.sql("select n_read from runs order by ended_at desc limit 1").fetchall()[0][0]
    con.close()
    return SimpleNamespace(n_read=n_read)


def timed(fn, repeat: int) -> tuple[float, float]:
    """(first call, median of ``repeat`` calls) in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times[0], statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", nargs="+", default=[str(REPO.parent / "shared" / "data" / "web_text")])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--shards", type=int, default=10)
    ap.add_argument("--max-chars", type=int, default=2500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=None, help="keep the generated run here (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reuse", action="store_true", help="reuse the run already in --workdir")
    args = ap.parse_args()
    if not all(Path(p).exists() for p in args.input):
        sys.exit(f"input {args.input} not found: pass --input with real documents (../shared/data/web_text)")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="curate-bench-catalog-"))
    try:
        if args.reuse and (work / "run" / "catalog.duckdb").is_file():
            summary = curate_summary(work / "run")
            print(f"reusing the run in {work / 'run'}")
        else:
            t0 = time.perf_counter()
            shards = generate(work / "input", args.docs, args.shards, args.max_chars, args.seed, args.input)
            print(f"generated {args.docs:,} documents in {len(shards)} JSONL shards in {time.perf_counter() - t0:.1f}s")
            t0 = time.perf_counter()
            summary = Pipeline([LengthFilter(min_chars=200, max_chars=2000)],
                               fields=FieldMap(extra={"language": "lang"})).run(
                input=[str(p) for p in shards], output=work / "run", overwrite=True, workers=args.workers,
                progress=False)
            print(f"run: {summary} ({time.perf_counter() - t0:.1f}s)")
        run = work / "run"
        con = curate.open(run)
        kept_glob, rej_glob = str(run / "kept" / "*.parquet"), str(run / "rejected" / "*.parquet")

        def duck_funnel():
            return con.sql("select * from funnel()").pl(), con.sql("select * from reasons()").pl()

        def polars_funnel():
            n_kept = pl.scan_parquet(kept_glob).select(pl.len()).collect().item()
            return n_kept, pl.scan_parquet(rej_glob).group_by("stage", "reason").len().collect()

        def duck_sample():
            return con.sql("select * from sample_by_reason(5)").pl()

        def polars_sample():
            return (pl.scan_parquet(rej_glob).select("id", "stage", "reason", "url", pl.col("text").str.slice(0, 500))
                    .filter(pl.int_range(pl.len()).over("stage", "reason") < 5).collect())

        def duck_whatif():
            return con.sql("select * from whatif('n_chars_stripped', '>=', 300)").pl()

        def polars_whatif():
            kept = pl.scan_parquet(kept_glob).select((pl.col("n_chars_stripped") < 300).sum()).collect().item()
            back = (pl.scan_parquet(rej_glob).filter(pl.col("reason").is_in(["empty_doc", "too_short"])
                                                     & (pl.col("n_chars_stripped") >= 300))
                    .select(pl.len()).collect().item())
            return kept, back

        print(duck_funnel()[0])
        print(duck_whatif())
        results = {}
        print(f"{'question':<10} {'duckdb first':>13} {'duckdb median':>14} {'polars first':>13} {'polars median':>14}")
        for name, duck, ref in (("funnel", duck_funnel, polars_funnel), ("sample", duck_sample, polars_sample),
                                ("whatif", duck_whatif, polars_whatif)):
            d_first, d_med = timed(duck, args.repeat)
            p_first, p_med = timed(ref, args.repeat)
            results[name] = d_med
            print(f"{name:<10} {d_first:>12.3f}s {d_med:>13.3f}s {p_first:>12.3f}s {p_med:>13.3f}s")
        d_first, d_med = timed(lambda: con.sql("select * from domains(20)").pl(), args.repeat)
        print(f"{'domains':<10} {d_first:>12.3f}s {d_med:>13.3f}s  (extra: URL parsing of every document)")
        con.close()
        size = sum(f.stat().st_size for f in run.rglob("*.parquet")) / 1e6
        print(f"run of {summary.n_read:,} documents, {size:.0f} MB of Parquet; all under 1s: "
              f"{all(v < 1 for v in results.values())}")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"funnel_s={results['funnel']:.3f} sample_s={results['sample']:.3f} whatif_s={results['whatif']:.3f}")


if __name__ == "__main__":
    main()
