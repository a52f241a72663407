"""Reading throughput: our readers against polars', pyarrow's and fastwarc's raw read of the same file.

Builds its inputs at run time in a temp folder by resampling the documents of
``../shared/data/web_text/*.jsonl.gz`` until the plain JSONL is about ``--mb`` MB, then writes the
same documents as JSONL, JSONL.gz, Parquet and a per-record-gzip WARC of HTML responses. Each
reader is timed iterating every batch; the raw reads materialise the whole file in one call.
MB/s is file size on disk / seconds, so a ratio (ours / raw) compares like with like.

    python benchmarks/read.py --input ../shared/data/web_text --mb 150

Last line: ``jsonl_ratio=.. parquet_ratio=.. warc_ratio=..`` (ours / best raw throughput; for WARC
the raw side is fastwarc iteration plus the same resiliparse extraction), then extra ratios.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow.json as pj
import pyarrow.parquet as pq
from fastwarc.warc import ArchiveIterator, WarcRecordType
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding
from resiliparse.parse.html import HTMLTree

from curate.io.readers.jsonl import JsonlReader
from curate.io.readers.parquet import ParquetReader
from curate.io.readers.warc import WarcReader

MB = 1 << 20


def load_documents(folder: Path) -> list[dict]:
    """id / text / url of every document in the folder's ``*.jsonl.gz`` files."""
    docs = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f):
                obj = json.loads(line)
                if not isinstance(obj.get("text"), str):
                    continue
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                url = obj.get("url") or meta.get("url") or f"https://example.org/{path.stem}/{n}"
                docs.append({"id": str(obj.get("id") or f"{path.stem}/{n}"), "text": obj["text"], "url": url})
    if not docs:
        raise SystemExit(f"no JSONL documents under {folder}")
    return docs


def perturb(text: str, vocab: list[str], rng: random.Random, every: int = 10) -> str:
    """Replace one word in ``every`` with a random corpus word (copies must not compress to nothing)."""
    words = text.split(" ")
    start = rng.randrange(every)
    words[start::every] = rng.choices(vocab, k=len(words[start::every]))
    return " ".join(words)


def resample(docs: list[dict], mb: float, seed: int = 0) -> list[dict]:
    """Perturbed random copies of ``docs`` (new ids, shuffled) until their JSONL is about ``mb`` MB."""
    rng = random.Random(seed)
    vocab = [w for d in docs[:2000] for w in d["text"].split()][:200_000]
    out, size, i = [], 0, 0
    while size < mb * MB:
        d = rng.choice(docs)
        text = perturb(d["text"], vocab, rng)
        copy = {"id": f"{d['id']}#{i}", "text": text, "url": f"{d['url']}?copy={i}"}
        size += len(json.dumps(copy, ensure_ascii=False).encode()) + 1
        out.append(copy)
        i += 1
    return out


def to_html(doc: dict) -> bytes:
    """An HTML page around a document: a little navigation and footer boilerplate, paragraphs of text."""
    paras = "".join(f"<p>{html.escape(p)}</p>\n" for p in doc["text"].split("\n") if p.strip())
    page = (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Document</title></head><body>"
        "<nav><a href=\"/\">Home</a> | <a href=\"/about\">About</a> | <a href=\"/contact\">Contact</a></nav>"
        f"<main><article>{paras}</article></main><footer>© Example site. All rights reserved.</footer>"
        "</body></html>"
    )
    return page.encode("utf-8")


def warc_response(doc: dict, n: int) -> bytes:
    """One WARC response record (HTTP 200, text/html) as bytes."""
    body = to_html(doc)
    http = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
        f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{n:012d}>\r\nWARC-Target-URI: {doc['url']}\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    ).encode()
    return head + http + b"\r\n\r\n"


def build_inputs(docs: list[dict], folder: Path) -> dict[str, Path]:
    """The same documents as JSONL, JSONL.gz, Parquet and WARC.gz (one gzip member per record)."""
    paths = {
        "jsonl": folder / "docs.jsonl", "jsonl.gz": folder / "docs.jsonl.gz",
        "parquet": folder / "docs.parquet", "warc.gz": folder / "docs.warc.gz",
    }
    lines = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs).encode()
    paths["jsonl"].write_bytes(lines)
    paths["jsonl.gz"].write_bytes(gzip.compress(lines, compresslevel=6))
    pl.DataFrame(docs).write_parquet(paths["parquet"], compression="zstd", row_group_size=10_000)
    with open(paths["warc.gz"], "wb") as f:
        for n, d in enumerate(docs):
            f.write(gzip.compress(warc_response(d, n), compresslevel=6))
    return paths


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    """Seconds and row count of one call."""
    start = time.perf_counter()
    rows = fn()
    return time.perf_counter() - start, rows


def ours(reader) -> Callable[[Path], int]:
    def run(path: Path) -> int:
        return sum(df.height for df in reader.read(str(path), name=path.name))

    return run


def fastwarc_iterate(path: Path) -> int:
    n = 0
    for rec in ArchiveIterator(str(path), record_types=WarcRecordType.response, parse_http=True):
        rec.reader.read()
        n += 1
    return n


def fastwarc_extract(path: Path) -> int:
    n = 0
    for rec in ArchiveIterator(str(path), record_types=WarcRecordType.response, parse_http=True):
        body = rec.reader.read()
        text = bytes_to_str(body, rec.http_charset or detect_encoding(body, from_html_meta=True))
        extract_plain_text(HTMLTree.parse(text), preserve_formatting=True, main_content=True)
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=Path("../shared/data/web_text"),
                        help="folder of *.jsonl.gz documents to resample")
    parser.add_argument("--mb", type=float, default=150, help="size of the generated plain JSONL, in MB")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of timing (each reader once per round); the best round counts")
    args = parser.parse_args()

    docs = resample(load_documents(args.input), args.mb, args.seed)
    with tempfile.TemporaryDirectory(prefix="curate-read-bench-") as tmp:
        start = time.perf_counter()
        paths = build_inputs(docs, Path(tmp))
        sizes = {k: p.stat().st_size / MB for k, p in paths.items()}
        print(f"{len(docs):,} documents; built in {time.perf_counter() - start:.1f}s: "
              + ", ".join(f"{k} {v:.1f} MB" for k, v in sizes.items()))
        cases = {
            "jsonl": [
                ("polars read_ndjson", lambda p: pl.read_ndjson(p).height),
                ("pyarrow json.read_json", lambda p: pj.read_json(p).num_rows),
                ("curate JsonlReader", ours(JsonlReader())),
            ],
            "jsonl.gz": [
                ("polars read_ndjson(gzip)", lambda p: pl.read_ndjson(gzip.decompress(p.read_bytes())).height),
                ("pyarrow json.read_json", lambda p: pj.read_json(p).num_rows),
                ("curate JsonlReader", ours(JsonlReader())),
            ],
            "parquet": [
                ("polars scan_parquet", lambda p: pl.scan_parquet(p).collect().height),
                ("pyarrow pq.read_table", lambda p: pq.read_table(p).num_rows),
                ("curate ParquetReader", ours(ParquetReader())),
            ],
            "warc.gz": [
                ("fastwarc iterate (no extraction)", fastwarc_iterate),
                ("fastwarc + resiliparse extraction", fastwarc_extract),
                ("curate WarcReader (resiliparse)", ours(WarcReader())),
            ],
        }
        ratios: dict[str, float] = {}
        print(f"{'input':<9} {'reader':<36} {'rows':>9} {'seconds':>8} {'MB/s':>8}")
        for kind, runs in cases.items():
            best: dict[str, float] = {}
            for _ in range(args.repeat):  # rounds interleave the readers, so load spikes hit all of them
                for label, fn in runs:
                    seconds, rows = timed(lambda fn=fn, path=paths[kind]: fn(path))
                    if rows != len(docs):
                        raise SystemExit(f"{label} read {rows} rows from {kind}, expected {len(docs)}")
                    best[label] = min(best.get(label, float("inf")), seconds)
            speeds = {}
            for label, _ in runs:
                speeds[label] = sizes[kind] / best[label]
                print(f"{kind:<9} {label:<36} {len(docs):>9,} {best[label]:>8.2f} {speeds[label]:>8.1f}")
            our = speeds[runs[-1][0]]
            if kind == "warc.gz":
                raw = speeds[runs[1][0]]
                ratios["warc_ratio"] = our / raw
                ratios["warc_iter_ratio"] = our / speeds[runs[0][0]]
                print(f"{'':<9} ours / (fastwarc + extraction) = {ratios['warc_ratio']:.2f}; "
                      f"ours / bare iteration = {ratios['warc_iter_ratio']:.2f}")
            else:
                raw = max(speeds[label] for label, _ in runs[:-1])
                key = {"jsonl": "jsonl_ratio", "jsonl.gz": "jsonl_gz_ratio", "parquet": "parquet_ratio"}[kind]
                ratios[key] = our / raw
                print(f"{'':<9} ours / fastest raw read = {ratios[key]:.2f}")
        print("(timings are noisy: the machine is shared; raw reads load the whole file, ours streams batches)")
        order = ["jsonl_ratio", "parquet_ratio", "warc_ratio", "jsonl_gz_ratio", "warc_iter_ratio"]
        print(" ".join(f"{k}={ratios[k]:.3f}" for k in order))


if __name__ == "__main__":
    main()
