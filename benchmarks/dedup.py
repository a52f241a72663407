"""Near-dedup benchmark: curate's minhash_dedup vs datatrove's four MinHash stages, same corpus, same run.

    python benchmarks/dedup.py --input ../shared/data/web_text/dolma_CC-MAIN-*.jsonl.gz [--docs 20000]

Builds a corpus of ``--docs`` documents from the real documents given: the real documents
themselves, then resampled ones (each a random sequence of at least 8 real sentences, or pieces of
at most 40 words of them, drawn from the pool of all input documents and sized like a random real
document, so resampled documents are real text but not copies of one another; with fewer, longer
pieces a 1M-document corpus is full of pairs sharing one dominant paragraph, Jaccard 0.4-0.5). A fraction (``--dup-frac``) of them gets an injected copy with
word edits (substitute / delete / insert a random vocabulary word) at controlled rates; the true
Jaccard of every injected pair is computed exactly on word 5-grams of the simplified text. Copies
land in the next shard file (the last shard's in the same file), so clusters cross shards.

Then both sides run in their own subprocess (wall time and peak RSS via ``os.wait4``; the peak is
the largest single process, workers included): curate's ``minhash_dedup`` through ``Pipeline.run``
and datatrove's MinhashDedupSignature → Buckets → Cluster → Filter on its local executor, both with
5-grams, 14 bands × 8 rows, 64-bit hashes, seed 1 and ``--workers`` processes. Printed: recall per
Jaccard band of the injected pairs (a pair is found when both documents end in one cluster),
precision (merged pairs, i.e. removed document → kept member of its cluster, with true Jaccard
below 0.5 are false), agreement of the two sides' sets of clustered documents, wall time, docs/s,
MB/s per core and peak memory. Last line:
``precision=<> recall_at_0.8=<> speedup_vs_datatrove=<>x``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from curate.dedup.text import simplify_expr  # noqa: E402

N_GRAMS, BANDS, ROWS, SEED = 5, 14, 8, 1
EDIT_RATES = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2)
JACCARD_BANDS = ((0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01))


# corpus ---------------------------------------------------------------------------------------
def read_real(paths: list[str]) -> pl.DataFrame:
    """The real documents (id, text) of every input file."""
    frames = []
    for p in paths:
        df = pl.read_ndjson(p, infer_schema_length=None, ignore_errors=True)
        frames.append(df.select(pl.col("text").cast(pl.String)).filter(pl.col("text").str.len_chars() > 0))
    df = pl.concat(frames)
    return df.with_row_index("n").select(pl.format("real-{}", pl.col("n")).alias("id"), "text")


def shingle_sets(texts: list[str]) -> list[set[str]]:
    """Word 5-gram sets of the simplified texts (the ground truth of Jaccard)."""
    simple = pl.select(simplify_expr(pl.Series(texts, dtype=pl.String))).to_series().to_list()
    out = []
    for s in simple:
        w = s.split(" ") if s else []
        out.append({" ".join(w[i : i + N_GRAMS]) for i in range(len(w) - N_GRAMS + 1)})
    return out


def jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two shingle sets (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def edit(text: str, rate: float, vocab: np.ndarray, rng: np.random.Generator) -> str:
    """``text`` with each word substituted, deleted or followed by an inserted word with probability ``rate``."""
    words = text.split()
    ops = rng.random(len(words))
    kinds = rng.integers(0, 3, len(words))
    fill = vocab[rng.integers(0, len(vocab), len(words))]
    out = []
    for w, op, kind, new in zip(words, ops, kinds, fill, strict=True):
        if op >= rate:
            out.append(w)
        elif kind == 0:
            out.append(new)
        elif kind == 2:
            out.extend((w, new))
    return " ".join(out)


def build_corpus(real: pl.DataFrame, n_docs: int, dup_frac: float, n_shards: int, folder: Path, seed: int):
    """Write ``n_shards`` JSONL files of ``n_docs`` documents to ``folder``; return the injected pairs."""
    rng = np.random.default_rng(seed)
    texts = real["text"].to_list()
    # pieces of at most 40 words, and at least 8 pieces per resampled document: a piece shared by
    # chance (each is reused ~n_docs*10/len(pool) times) then stays a small part of both documents
    pool = sorted({" ".join(w[i : i + 40])
                   for t in texts for line in t.split("\n") for c in re.split(r"(?<=[.!?])\s+", line)
                   for w in [c.split()] for i in range(0, len(w), 40) if len(w[i : i + 40]) >= 3})
    pool_arr = np.array(pool, dtype=object)
    chunk_chars = np.array([len(c) + 1 for c in pool])
    lengths = real["text"].str.len_chars().to_numpy()
    vocab = np.array(sorted({w for t in texts[:2000] for w in t.split() if w.isalpha()}), dtype=object)
    n_copies = int(round(n_docs * dup_frac))
    n_base = n_docs - n_copies
    per_shard = -(-n_base // n_shards)
    pairs: list[tuple[str, str, float, float]] = []
    pending: list[tuple[str, str]] = []  # originals whose copies go into the next shard
    made = 0
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(n_shards):
        ids, docs = [], []
        take = min(per_shard, n_base - made)
        for _ in range(take):
            if made < real.height:
                ids.append(real["id"][made])
                docs.append(texts[made])
            else:
                target = lengths[rng.integers(0, len(lengths))]
                k = max(8, int(target / chunk_chars.mean()))
                docs.append("\n".join(pool_arr[rng.integers(0, len(pool_arr), k)]))
                ids.append(f"doc-{made}")
            made += 1
        # copies of the previous shard's originals, then choose this shard's originals
        copies = pending
        n_orig = min(int(round(n_copies * take / max(n_base, 1))), n_copies - len(pairs) - len(copies))
        long_enough = [i for i, d in enumerate(docs) if len(d.split()) >= 50]
        chosen = rng.choice(long_enough, size=min(n_orig, len(long_enough)), replace=False) if long_enough else []
        pending = [(ids[i], docs[i]) for i in chosen]
        if s == n_shards - 1:
            copies = copies + pending
            pending = []
        new_texts = []
        for j, (oid, otext) in enumerate(copies):
            rate = float(EDIT_RATES[rng.integers(0, len(EDIT_RATES))])
            ctext = edit(otext, rate, vocab, rng)
            cid = f"copy-{len(pairs) + j}-of-{oid}"
            ids.append(cid)
            docs.append(ctext)
            new_texts.append((oid, otext, cid, ctext, rate))
        if new_texts:
            sets = shingle_sets([t[1] for t in new_texts] + [t[3] for t in new_texts])
            half = len(new_texts)
            for j, (oid, _, cid, _, rate) in enumerate(new_texts):
                pairs.append((oid, cid, rate, jaccard(sets[j], sets[half + j])))
        order = rng.permutation(len(ids))
        pl.DataFrame({"id": [ids[i] for i in order], "text": [docs[i] for i in order]}).write_ndjson(
            folder / f"shard-{s:04d}.jsonl"
        )
    return pl.DataFrame(pairs, schema={"orig": pl.String, "copy": pl.String, "rate": pl.Float64, "jaccard": pl.Float64},
                        orient="row")


# the two sides (run in subprocesses) --------------------------------------------------------
def side_ours(corpus: Path, work: Path, workers: int) -> None:
    """curate: minhash_dedup through Pipeline.run; writes work/clusters.parquet (id, cluster, dup_of)."""
    from curate.pipeline import Pipeline
    from curate.stages.dedup import MinHashDedup

    stage = MinHashDedup(n_grams=N_GRAMS, num_buckets=BANDS, hashes_per_bucket=ROWS, seed=SEED)
    Pipeline([stage], batch_size=10_000).run(str(corpus), work / "out", workers=workers, progress=False)
    cols = ["id", "dup_cluster", "dup_of"]
    kept = pl.scan_parquet(work / "out" / "kept" / "*.parquet").select(cols)
    rejected = pl.scan_parquet(work / "out" / "rejected" / "*.parquet").select(cols)
    pl.concat([kept, rejected]).filter(pl.col("dup_cluster").is_not_null()).rename(
        {"dup_cluster": "cluster"}
    ).collect().write_parquet(work / "clusters.parquet")


def side_datatrove(corpus: Path, work: Path, workers: int) -> None:
    """datatrove: the four MinHash stages on the local executor; writes work/clusters.parquet."""
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    config = MinhashConfig(n_grams=N_GRAMS, num_buckets=BANDS, hashes_per_bucket=ROWS, seed=SEED,
                           hash_config=HashConfig(precision=64))
    tasks = len(list(corpus.glob("*.jsonl")))
    logs = work / "logs"
    stage1 = LocalPipelineExecutor(
        [JsonlReader(str(corpus)), MinhashDedupSignature(output_folder=str(work / "sigs"), config=config)],
        tasks=tasks, workers=workers, logging_dir=str(logs / "1"),
    )
    stage2 = LocalPipelineExecutor(
        [MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=config)],
        tasks=BANDS, workers=workers, logging_dir=str(logs / "2"), depends=stage1,
    )
    stage3 = LocalPipelineExecutor(
        [MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove"), config=config,
                             save_cluster_id=True)],
        tasks=1, logging_dir=str(logs / "3"), depends=stage2,
    )
    stage4 = LocalPipelineExecutor(
        [JsonlReader(str(corpus)),
         MinhashDedupFilter(input_folder=str(work / "remove"), load_cluster_ids=True,
                            exclusion_writer=JsonlWriter(str(work / "removed"))),
         JsonlWriter(str(work / "kept"))],
        tasks=tasks, workers=workers, logging_dir=str(logs / "4"), depends=stage3,
    )
    stage4.run()
    frames = []
    for kind in ("kept", "removed"):
        for f in sorted((work / kind).glob("*.jsonl.gz")):
            df = pl.read_ndjson(f, infer_schema_length=None)
            frames.append(df.select(
                pl.col("id"), pl.col("metadata").struct.field("minhash_cluster_id").alias("cluster"),
                pl.lit(kind == "removed").alias("removed"),
            ))
    df = pl.concat(frames).filter(pl.col("cluster") >= 0)
    reps = df.filter(~pl.col("removed")).select("cluster", pl.col("id").alias("rep"))
    df.join(reps, on="cluster", how="left").select(
        "id", pl.col("cluster").cast(pl.String),
        pl.when(pl.col("removed")).then(pl.col("rep")).alias("dup_of"),
    ).write_parquet(work / "clusters.parquet")


def tree_rss_mb(root: int) -> float:
    """Summed RSS (MB) of process ``root`` and all its descendants, from /proc."""
    parent, rss = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parent[pid], rss[pid] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(c for c, p in parent.items() if p == pid)
    return total / 2**20


def run_side(side: str, corpus: Path, work: Path, workers: int) -> tuple[float, float, float]:
    """Run one side in a subprocess; return (wall s, peak RSS MB of its largest process, peak summed RSS MB)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cmd = [sys.executable, __file__, "--side", side, "--corpus", str(corpus), "--work", str(work),
           "--workers", str(workers)]
    with open(work / "side.log", "w") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        peak_sum = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_sum = max(peak_sum, tree_rss_mb(proc.pid))
            time.sleep(0.5)
        wall = time.perf_counter() - t0
    if status != 0:
        tail = (work / "side.log").read_text()[-3000:]
        raise SystemExit(f"{side} failed (status {status}); log tail:\n{tail}")
    return wall, usage.ru_maxrss / 1024, peak_sum


# metrics ----------------------------------------------------------------------------------------
def recall_by_band(pairs: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """Share of injected pairs found (both ends in one cluster), per Jaccard band."""
    c = clusters.select("id", "cluster")
    joined = pairs.join(c.rename({"id": "orig", "cluster": "c1"}), on="orig", how="left", maintain_order="left").join(
        c.rename({"id": "copy", "cluster": "c2"}), on="copy", how="left", maintain_order="left"
    )
    return joined.with_columns((pl.col("c1").is_not_null() & (pl.col("c1") == pl.col("c2"))).alias("found"))


def merged_pair_jaccard(clusters: pl.DataFrame, corpus: Path) -> pl.DataFrame:
    """True Jaccard of every (removed document, kept member of its cluster) pair."""
    merged = clusters.filter(pl.col("dup_of").is_not_null()).select("id", "dup_of")
    if merged.height == 0:
        return merged.with_columns(pl.lit(None, dtype=pl.Float64).alias("jaccard"))
    need = pl.concat([merged["id"], merged["dup_of"]]).unique()
    texts = dict(pl.scan_ndjson(sorted(corpus.glob("*.jsonl"))).select("id", "text")
                 .filter(pl.col("id").is_in(need.implode())).collect(engine="streaming").iter_rows())
    a = shingle_sets([texts[i] for i in merged["id"]])
    b = shingle_sets([texts[i] for i in merged["dup_of"]])
    return merged.with_columns(pl.Series("jaccard", [jaccard(x, y) for x, y in zip(a, b, strict=True)]))


def report_side(name: str, pairs: pl.DataFrame, clusters: pl.DataFrame, corpus: Path) -> dict:
    """Print recall per band and precision of one side; return the headline numbers."""
    found = recall_by_band(pairs, clusters)
    print(f"\n[{name}] recall of injected pairs by true 5-gram Jaccard")
    for lo, hi in JACCARD_BANDS:
        band = found.filter((pl.col("jaccard") >= lo) & (pl.col("jaccard") < hi))
        r = band["found"].mean() if band.height else float("nan")
        print(f"  J in [{lo:.1f}, {min(hi, 1.0):.1f}{']' if hi > 1 else ')'}: {band.height:7d} pairs  recall {r:.3f}")
    hi_band = found.filter(pl.col("jaccard") >= 0.8)
    recall = hi_band["found"].mean() if hi_band.height else float("nan")
    merged = merged_pair_jaccard(clusters, corpus)
    n_false = merged.filter(pl.col("jaccard") < 0.5).height
    precision = 1 - n_false / merged.height if merged.height else 1.0
    print(f"  merged pairs {merged.height}, with Jaccard < 0.5: {n_false} → precision {precision:.4f}")
    return {"recall": recall, "precision": precision, "removed": merged.height}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", nargs="+", help="real JSONL(.gz) documents to resample")
    ap.add_argument("--docs", type=int, default=20_000, help="corpus size")
    ap.add_argument("--dup-frac", type=float, default=0.1, help="share of the corpus that is injected copies")
    ap.add_argument("--shards", type=int, default=0, help="JSONL files (default: one per 50k docs, at least 4)")
    ap.add_argument("--workers", type=int, default=1, help="processes for each side")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-datatrove", action="store_true", help="run curate only (scale runs)")
    ap.add_argument("--workdir", help="keep corpus and outputs here (default: a temp dir, removed)")
    ap.add_argument("--side", choices=["ours", "datatrove"], help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:
        (side_ours if args.side == "ours" else side_datatrove)(Path(args.corpus), Path(args.work), args.workers)
        return
    if not args.input:
        ap.error("--input is required")
    root = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="curate-dedup-bench-"))
    shutil.rmtree(root / "corpus", ignore_errors=True)
    try:
        shards = args.shards or max(4, -(-args.docs // 50_000))
        t0 = time.perf_counter()
        real = read_real(args.input)
        corpus = root / "corpus"
        pairs = build_corpus(real, args.docs, args.dup_frac, shards, corpus, args.seed)
        size_mb = sum(f.stat().st_size for f in corpus.glob("*.jsonl")) / 1e6
        text_mb = pl.scan_ndjson(sorted(corpus.glob("*.jsonl"))).select(
            pl.col("text").str.len_bytes().cast(pl.Int64).sum()).collect(engine="streaming").item() / 1e6
        print(f"corpus: {args.docs:,} docs ({real.height} real, rest resampled), {text_mb:.1f} MB text "
              f"({size_mb:.1f} MB JSONL) in {shards} shards, {pairs.height:,} injected pairs "
              f"(edit rates {', '.join(map(str, EDIT_RATES))}); built in {time.perf_counter() - t0:.1f}s")
        print(f"params: {N_GRAMS}-grams, {BANDS} bands x {ROWS} rows, 64-bit, seed {SEED}; "
              f"{args.workers} worker(s) per side; machine shared with other jobs, timings are noisy")
        results = {}
        sides = ["ours"] + ([] if args.no_datatrove else ["datatrove"])
        for side in sides:
            wall, rss, rss_sum = run_side(side, corpus, root / side, args.workers)
            clusters = pl.read_parquet(root / side / "clusters.parquet")
            results[side] = {"wall": wall, "rss": rss, "clusters": clusters}
            print(f"\n[{side}] wall {wall:.1f}s  {args.docs / wall:,.0f} docs/s  "
                  f"{text_mb / wall / args.workers:.2f} MB/s per core  peak RSS {rss:,.0f} MB (largest process), "
                  f"{rss_sum:,.0f} MB (all its processes, sampled every 0.5 s)")
            results[side].update(report_side(side, pairs, clusters, corpus))
        ours = results["ours"]
        speedup = float("nan")
        if "datatrove" in results:
            dt = results["datatrove"]
            a, b = set(ours["clusters"]["id"]), set(dt["clusters"]["id"])
            agree = len(a & b) / len(a | b) if a | b else 1.0
            found_a = recall_by_band(pairs, ours["clusters"])["found"]
            found_b = recall_by_band(pairs, dt["clusters"])["found"]
            pair_agree = (found_a == found_b).mean()
            high = (pairs["jaccard"] >= 0.8).to_numpy()
            high_agree = (found_a.filter(high) == found_b.filter(high)).mean()
            low_agree = (found_a.filter(~high) == found_b.filter(~high)).mean()
            speedup = dt["wall"] / ours["wall"]
            print(f"\nagreement: documents in duplicate clusters, Jaccard of the two sets {agree:.4f} "
                  f"({len(a)} ours, {len(b)} datatrove, {len(a & b)} both); injected pairs decided alike "
                  f"{pair_agree:.4f} (J >= 0.8: {high_agree:.4f}; J < 0.8: {low_agree:.4f}, where LSH is a coin flip "
                  f"and two independent hash families disagree by chance); removed {ours['removed']} ours vs "
                  f"{dt['removed']} datatrove")
            print(f"wall: ours {ours['wall']:.1f}s vs datatrove {dt['wall']:.1f}s; peak RSS ours {ours['rss']:,.0f} MB "
                  f"vs datatrove {dt['rss']:,.0f} MB")
        print(f"precision={ours['precision']:.4f} recall_at_0.8={ours['recall']:.4f} "
              f"speedup_vs_datatrove={speedup:.1f}x")
        sys.stdout.flush()
    finally:
        if not args.workdir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
