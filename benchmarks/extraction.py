"""Extraction quality and speed on trafilatura's gold pages, for each extractor the WARC reader offers.

For every page the gold file lists snippets a good extractor must keep (``with``) and boilerplate it
must drop (``without``). We run the WARC reader's own extraction function
(``curate.io.readers.html.extract_text``: charset detection, then resiliparse or trafilatura) on the
raw HTML bytes and report, per extractor: the share of must-keep snippets found (recall), the
share of boilerplate snippets wrongly kept, and pages per second (extraction only; noisy on a
shared machine).

    python benchmarks/extraction.py --input ../shared/data/extraction

Last line (machine-readable):
``resiliparse_recall=.. resiliparse_boilerplate=.. resiliparse_pages_per_s=.. trafilatura_recall=.. ...``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
import time
from pathlib import Path

from curate.io.readers.html import EXTRACTORS, extract_text

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Collapse white space so line breaks inside a snippet do not count as misses."""
    return _WS.sub(" ", text).strip()


def load(folder: Path) -> list[tuple[str, bytes, list[str], list[str]]]:
    """(file name, HTML bytes, must-keep snippets, boilerplate snippets) for every gold page."""
    gold_files = sorted(folder.glob("*.json"))
    archives = sorted(folder.glob("*.tar.gz"))
    if not gold_files or not archives:
        sys.exit(f"{folder}: expected a gold *.json and an HTML *.tar.gz (see ../shared/data/README.md)")
    gold = json.loads(gold_files[0].read_text())
    by_file = {entry["file"]: entry for entry in gold.values()}
    pages = []
    with tarfile.open(archives[0]) as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if not member.isfile() or name not in by_file:
                continue
            html = tar.extractfile(member).read()
            entry = by_file[name]
            pages.append((name, html, entry.get("with") or [], entry.get("without") or []))
    if len(pages) != len(by_file):
        print(f"warning: {len(by_file) - len(pages)} gold page(s) have no HTML in the archive", file=sys.stderr)
    return pages


def evaluate(pages, extractor: str) -> dict:
    """Recall of must-keep snippets, share of boilerplate kept, and pages/s for one extractor."""
    found = total_with = kept_bad = total_without = 0
    failures = 0
    seconds = 0.0
    for _, html, with_, without in pages:
        start = time.perf_counter()
        try:
            text = extract_text(html, extractor)
        except Exception:
            text, failures = "", failures + 1
        seconds += time.perf_counter() - start
        text = normalise(text)
        found += sum(normalise(s) in text for s in with_)
        kept_bad += sum(normalise(s) in text for s in without)
        total_with += len(with_)
        total_without += len(without)
    return {
        "recall": found / max(total_with, 1),
        "boilerplate": kept_bad / max(total_without, 1),
        "pages_per_s": len(pages) / seconds if seconds else 0.0,
        "failures": failures,
        "n_with": total_with,
        "n_without": total_without,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=Path("../shared/data/extraction"),
                        help="folder with the gold JSON and the HTML tar.gz")
    parser.add_argument("--extractors", nargs="+", default=list(EXTRACTORS), choices=EXTRACTORS)
    args = parser.parse_args()
    pages = load(args.input)
    n_with = sum(len(p[2]) for p in pages)
    n_without = sum(len(p[3]) for p in pages)
    print(f"{len(pages)} pages, {n_with} must-keep snippets, {n_without} boilerplate snippets")
    print(f"{'extractor':<12} {'must-keep found':>16} {'boilerplate kept':>17} {'pages/s':>9} {'errors':>7}")
    results = {}
    for extractor in args.extractors:
        r = evaluate(pages, extractor)
        results[extractor] = r
        print(f"{extractor:<12} {r['recall']:>16.1%} {r['boilerplate']:>17.1%} {r['pages_per_s']:>9.1f} "
              f"{r['failures']:>7}")
    print("(higher must-keep found and lower boilerplate kept is better; pages/s is noisy on a shared machine)")
    print(" ".join(
        f"{name}_{key}={r[key]:.4f}" if key != "pages_per_s" else f"{name}_{key}={r[key]:.1f}"
        for name, r in results.items() for key in ("recall", "boilerplate", "pages_per_s")
    ))


if __name__ == "__main__":
    main()
