"""The annotation cache: every LLM answer in DuckDB, keyed by (text hash, prompt hash, model).

The cache is also the resume state and the training set: ``documents`` holds each annotated
text once, ``annotations`` one row per (text, prompt, model) with score, justification, raw
answer and token counts, ``prompts`` the prompt texts. ``curate train cache.duckdb`` reads it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path

import duckdb
import polars as pl

SCHEMA = """
create table if not exists documents (
    text_hash varchar primary key, doc_id varchar, text varchar, stratum varchar);
create table if not exists prompts (
    prompt_hash varchar primary key, name varchar, prompt varchar);
create table if not exists annotations (
    text_hash varchar, prompt_hash varchar, model varchar, doc_id varchar,
    score double, justification varchar, answer varchar,
    prompt_tokens bigint, completion_tokens bigint, endpoint varchar, created timestamp,
    primary key (text_hash, prompt_hash, model));
"""


def text_hash(text: str) -> str:
    """SHA-1 of the UTF-8 text actually sent (after truncation): the cache's document key."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class AnnotationCache:
    """A DuckDB file of answers; one writer (the calling thread), every row committed as it arrives."""

    def __init__(self, path: str | Path, read_only: bool = False):
        self.path = Path(path)
        if read_only and not self.path.is_file():
            raise FileNotFoundError(f"annotation cache not found: {self.path}")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise RuntimeError(f"cannot open annotation cache {self.path}: {exc} "
                               f"(is another `curate annotate` using it?)") from exc
        if not read_only:
            self.con.execute(SCHEMA)
        self.closed = False

    def close(self) -> None:
        """Close the DuckDB connection."""
        if not self.closed:
            self.closed = True
            self.con.close()

    def __enter__(self) -> AnnotationCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add_prompt(self, prompt_hash: str, name: str, prompt: str) -> None:
        """Record a prompt text once."""
        self.con.execute("insert or ignore into prompts values (?, ?, ?)", [prompt_hash, name, prompt])

    def add_documents(self, docs: pl.DataFrame) -> None:
        """Insert (text_hash, doc_id, text, stratum) rows not already present."""
        if docs.height == 0:
            return
        frame = docs.select("text_hash", "doc_id", "text", "stratum").unique("text_hash", keep="first")
        self.con.register("_new_docs", frame.to_arrow())
        try:
            self.con.execute("insert or ignore into documents select text_hash, doc_id, text, stratum from _new_docs")
        finally:
            self.con.unregister("_new_docs")

    def done(self, hashes: list[str], prompt_hash: str, model: str) -> set[str]:
        """Which of ``hashes`` already have an answer for this prompt and model."""
        if not hashes:
            return set()
        self.con.register("_want", pl.DataFrame({"text_hash": hashes}).to_arrow())
        try:
            rows = self.con.execute(
                "select a.text_hash from annotations a join _want w using (text_hash) "
                "where a.prompt_hash = ? and a.model = ?", [prompt_hash, model]).fetchall()
        finally:
            self.con.unregister("_want")
        return {r[0] for r in rows}

    def put(self, *, text_hash: str, prompt_hash: str, model: str, doc_id: str | None, score: float | None,
            justification: str, answer: str, prompt_tokens: int | None, completion_tokens: int | None,
            endpoint: str) -> None:
        """Store one answer (committed immediately, so a killed run loses nothing it was told)."""
        self.con.execute(
            "insert or replace into annotations values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [text_hash, prompt_hash, model, doc_id, score, justification, answer, prompt_tokens,
             completion_tokens, endpoint, _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)])

    def labels(self, model: str | None = None, prompt_hash: str | None = None,
               hashes: list[str] | None = None) -> pl.DataFrame:
        """Scored annotations joined with their texts: doc_id, text_hash, text, stratum, score, justification, model, prompt_hash."""
        where, params = ["a.score is not null"], []
        if model:
            where.append("a.model = ?")
            params.append(model)
        if prompt_hash:
            where.append("a.prompt_hash = ?")
            params.append(prompt_hash)
        sql = ("select coalesce(d.doc_id, a.doc_id) as doc_id, a.text_hash, d.text, d.stratum, a.score, "
               "a.justification, a.model, a.prompt_hash from annotations a "
               f"join documents d using (text_hash) where {' and '.join(where)}")
        if hashes is not None:
            self.con.register("_want", pl.DataFrame({"text_hash": hashes}, schema={"text_hash": pl.String}).to_arrow())
            sql += " and a.text_hash in (select text_hash from _want)"
        try:
            return self.con.sql(sql + " order by a.text_hash", params=params).pl()
        finally:
            if hashes is not None:
                self.con.unregister("_want")

    def totals(self) -> dict[str, int]:
        """Answers and tokens stored so far (all runs)."""
        n, scored, pt, ct = self.con.execute(
            "select count(*), count(score), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) "
            "from annotations").fetchall()[0]
        return {"answers": n, "scored": scored, "prompt_tokens": pt, "completion_tokens": ct}
