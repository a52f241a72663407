"""Contrastive weak labels, DCLM-style: textbook-like prose from Debian documentation packages vs raw web.

Positives are passages of explanatory / instructional prose that Debian packages install on this
machine (tutorials, handbooks, reference manuals, a computing dictionary). They are read from
``/usr/share`` at training time and never copied into the repository. Install them with::

    apt-get update && apt-get install -y --no-install-recommends \\
        python3.11-doc debian-reference-en debian-handbook perl-doc r-doc-html \\
        postgresql-doc-15 debian-history dict-foldoc

Negatives are raw web documents (``../shared/data/web_text``), excluding every document of the
annotation file's test split, so held-out evaluation never sees a document the model trained on.

Run ``python scripts/weak_labels.py`` to print what is installed and how many passages each source
gives.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Passages shorter than this (characters) are dropped; longer paragraphs runs are cut near it.
MIN_CHARS = 400
MAX_CHARS = 2500


@dataclass(frozen=True)
class DocSource:
    """One Debian package whose installed files give positive passages."""

    package: str
    licence: str
    what: str
    patterns: tuple[str, ...]
    kind: str  # "rst", "html", "pod" or "dictd"
    exclude: str = r"$^"  # regex on the file path: files to skip (changelogs, release notes)


SOURCES: tuple[DocSource, ...] = (
    DocSource("python3.11-doc", "PSF-2.0 (Python Software Foundation License)",
              "Python tutorial, HOWTOs, FAQ, language and library reference (reST sources)",
              ("/usr/share/doc/python3.11/html/_sources/tutorial/*.rst.txt",
               "/usr/share/doc/python3.11/html/_sources/howto/*.rst.txt",
               "/usr/share/doc/python3.11/html/_sources/faq/*.rst.txt",
               "/usr/share/doc/python3.11/html/_sources/reference/*.rst.txt",
               "/usr/share/doc/python3.11/html/_sources/using/*.rst.txt",
               "/usr/share/doc/python3.11/html/_sources/glossary.rst.txt",
               "/usr/share/doc/python3.11/html/_sources/library/*.rst.txt"),
              "rst", exclude=r"whatsnew|changelog"),
    DocSource("debian-reference-en", "GPL-2+", "Debian Reference (system administration textbook)",
              ("/usr/share/debian-reference/*.en.html",), "html"),
    DocSource("debian-handbook", "GPL-2+ or CC-BY-SA-3.0", "The Debian Administrator's Handbook (English)",
              ("/usr/share/doc/debian-handbook/html/en-US/*.html",), "html"),
    DocSource("perl-doc", "GPL-1+ or Artistic", "Perl tutorials, FAQ and reference (POD)",
              ("/usr/share/perl/5.*/pod/*.pod",), "pod", exclude=(r"delta|perlhist|perlartistic|perlgpl|perldiag|perlapi|perlintern|perlcn|perljp|perlko|perltw|"
                       r"perl(aix|amiga|android|bs2000|cygwin|freebsd|haiku|hpux|hurd|irix|linux|macos|netware|"
                       r"openbsd|os2|os390|os400|plan9|qnx|riscos|solaris|synology|tru64|vms|vos|win32)")),
    DocSource("r-doc-html", "GPL-2", "R manuals: An Introduction to R, R language definition, FAQ, ...",
              ("/usr/share/R/doc/manual/*.html",), "html"),
    DocSource("postgresql-doc-15", "PostgreSQL Licence", "PostgreSQL manual: tutorial, SQL language, administration",
              ("/usr/share/doc/postgresql-doc-15/html/*.html",), "html", exclude=r"release-"),
    DocSource("debian-history", "GPL-2+", "A brief history of Debian (English)",
              ("/usr/share/doc/debian-history/docs/*.en.html",), "html"),
    DocSource("dict-foldoc", "GFDL-1.1+ (Free On-line Dictionary of Computing; Debian main)",
              "Free On-line Dictionary of Computing: encyclopedic entries, grouped into passages",
              ("/usr/share/dictd/foldoc.dict.dz",), "dictd"),
)


# -- text extraction -------------------------------------------------------------------------------
def _html_text(path: Path) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    html = path.read_bytes().decode("utf-8", "replace")
    return extract_plain_text(HTMLTree.parse(html), preserve_formatting=True, main_content=False,
                              list_bullets=True, alt_texts=False, links=False, form_fields=False, noscript=False)


_RST_DIRECTIVE = re.compile(r"^\s*\.\. [^\n]*(?:\n(?:[ \t]+[^\n]*|[ \t]*))*", re.M)
_RST_ROLE = re.compile(r":[a-z:]+:`~?!?([^`<]*?)(?:\s*<[^>]*>)?`")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+<>_:.])\1{2,}\s*$", re.M)


def _rst_text(path: Path) -> str:
    text = path.read_text("utf-8", "replace")
    text = _RST_DIRECTIVE.sub("", text)
    text = _RST_ROLE.sub(r"\1", text)
    text = _RST_UNDERLINE.sub("", text)
    return text.replace("``", "").replace("**", "")


_POD_FORMAT = re.compile(r"[BCEFILSXZ]<+\s*(.*?)\s*>+")


def _pod_text(path: Path) -> str:
    out = []
    for line in path.read_text("utf-8", "replace").splitlines():
        if line.startswith("=head"):
            out.append("\n" + line.split(" ", 1)[-1] + "\n")
        elif line.startswith("=item"):
            out.append(line[5:].strip())
        elif line.startswith("="):
            continue
        else:
            out.append(_POD_FORMAT.sub(r"\1", line))
    return "\n".join(out)


def _dictd_entries(path: Path) -> Iterator[str]:
    """Entries of a dictd database (``.dict.dz`` is gzip-compatible; the ``.index`` has offsets)."""
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def num(s: str) -> int:
        n = 0
        for ch in s:
            n = n * 64 + b64.index(ch)
        return n

    with gzip.open(path) as fh:
        data = fh.read()
    index = path.with_name(path.name.replace(".dict.dz", ".index"))
    spans = set()
    for line in index.read_text("utf-8", "replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and not parts[0].startswith("00database"):
            spans.add((num(parts[1]), num(parts[2])))
    for off, length in sorted(spans):
        yield data[off:off + length].decode("utf-8", "replace")


def source_texts(src: DocSource) -> Iterator[tuple[str, str]]:
    """(file name, plain text) for every installed file of ``src``; nothing if it is not installed."""
    import glob

    files = sorted({f for p in src.patterns for f in glob.glob(p)})
    files = [f for f in files if not re.search(src.exclude, f)]
    if src.kind == "dictd":
        for f in files:
            entries = list(_dictd_entries(Path(f)))
            # group consecutive entries into document-sized passages (alphabetical order)
            for i in range(0, len(entries), 6):
                yield f"{f}#{i}", "\n\n".join(entries[i:i + 6])
        return
    read = {"html": _html_text, "rst": _rst_text, "pod": _pod_text}[src.kind]
    for f in files:
        try:
            yield f, read(Path(f))
        except (OSError, UnicodeError, ValueError):  # pragma: no cover - unreadable file: skip it
            continue


def _looks_like_prose(chunk: str) -> bool:
    """Keep chunks that are mostly sentences, not code listings, tables or menus."""
    lines = [ln for ln in chunk.splitlines() if ln.strip()]
    if not lines:
        return False
    indented = sum(ln.startswith((" ", "\t", "$", "#", ">>>")) for ln in lines) / len(lines)
    letters = sum(ch.isalpha() for ch in chunk) / max(len(chunk), 1)
    sentences = chunk.count(". ") + chunk.count(".\n")
    return indented < 0.5 and letters > 0.6 and sentences >= 3


def split_passages(text: str, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> list[str]:
    """Cut a document into passages of whole paragraphs, each about ``min_chars``-``max_chars`` long."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    out, cur = [], ""
    for p in paras:
        if cur and len(cur) + len(p) > max_chars:
            out.append(cur)
            cur = ""
        cur = f"{cur}\n\n{p}" if cur else p
    if cur:
        out.append(cur)
    return [c[:max_chars * 2] for c in out if len(c) >= min_chars and _looks_like_prose(c)]


def positive_passages(per_source: int = 400, seed: int = 0) -> list[tuple[str, str]]:
    """(package, passage) pairs: up to ``per_source`` prose passages per installed package, sampled with ``seed``."""
    rng = random.Random(seed)
    out = []
    for src in SOURCES:
        seen, passages = set(), []
        for _, text in source_texts(src):
            for p in split_passages(text):
                key = hashlib.sha1(p.encode()).digest()
                if key not in seen:
                    seen.add(key)
                    passages.append(p)
        rng.shuffle(passages)
        out.extend((src.package, p) for p in passages[:per_source])
    return out


# -- negatives -----------------------------------------------------------------------------------
def _web_docs(data_dir: Path) -> Iterator[tuple[str, str | None, str, int]]:
    """(source_file, id, text, line) for the raw web JSONL files under ``data_dir/web_text`` (OSCAR excluded)."""
    for path in sorted((data_dir / "web_text").glob("*.jsonl*")):
        if "oscar" in path.name:
            continue
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh):
                if not line.strip():
                    continue
                rec = json.loads(line)
                doc_id = rec.get("id")
                yield f"web_text/{path.name}", str(doc_id) if doc_id is not None else None, rec.get("text") or "", i


def negative_texts(data_dir: Path, exclude: set[tuple[str, str]], min_chars: int = 200) -> list[str]:
    """Raw web documents of at least ``min_chars`` characters, minus the ``(source_file, id)`` pairs in ``exclude``."""
    out = []
    for source_file, doc_id, text, line in _web_docs(data_dir):
        key = (source_file, doc_id if doc_id is not None else f"{source_file}/{line}")
        if key in exclude or len(text) < min_chars:
            continue
        out.append(text)
    return out


def installed_report() -> list[dict]:
    """Per source: package, licence, whether installed, files and passages found."""
    rows = []
    for src in SOURCES:
        n_files, n_pass = 0, 0
        for _, text in source_texts(src):
            n_files += 1
            n_pass += len(split_passages(text))
        rows.append({"package": src.package, "licence": src.licence, "what": src.what,
                     "installed": n_files > 0, "files": n_files, "passages": n_pass})
    return rows


if __name__ == "__main__":
    for row in installed_report():
        print(f"{row['package']:20s} installed={row['installed']!s:5s} files={row['files']:5d} "
              f"passages={row['passages']:6d}  {row['licence']}")
