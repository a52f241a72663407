"""Annotating a batch of documents: skip what the cache knows, ask the LLM concurrently for the rest."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import polars as pl

from curate.annotate.cache import AnnotationCache, text_hash
from curate.annotate.client import ChatClient, Completion, FatalEndpointError, RequestFailed
from curate.annotate.parse import parse_score
from curate.annotate.rubric import Prompt
from curate.annotate.sample import NO_STRATUM, STRATUM

log = logging.getLogger("curate.annotate")


@dataclass
class AnnotateStats:
    """What one annotate run did: documents, cache hits, requests, failures and tokens."""

    n_docs: int = 0
    n_empty: int = 0
    n_cached: int = 0
    n_duplicate: int = 0
    n_requested: int = 0
    n_ok: int = 0
    n_unparsed: int = 0
    n_failed: int = 0
    n_retried: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One paragraph for people."""
        return (f"{self.n_docs:,} document(s): {self.n_cached:,} answered from the cache, "
                f"{self.n_requested:,} sent ({self.n_ok:,} scored, {self.n_unparsed:,} without a readable "
                f"score, {self.n_failed:,} failed after retries; {self.n_retried:,} needed retries), "
                f"{self.n_duplicate:,} duplicate text(s) sent once, {self.n_empty:,} empty skipped; tokens this run: {self.prompt_tokens:,} prompt + "
                f"{self.completion_tokens:,} completion; {self.seconds:.1f}s")


class Annotator:
    """Scores documents with an LLM through ``client`` and ``prompt``, caching every answer.

    Args:
        client: the chat-completions client (endpoint, model, retries, rate limit).
        cache: where answers are stored and looked up (the resume state).
        prompt: the rubric.
        workers: concurrent requests.
        max_chars: documents are cut to this many characters before sending (and hashing).
        on_answer: called after each stored answer (progress display).
    """

    def __init__(self, client: ChatClient, cache: AnnotationCache, prompt: Prompt, workers: int = 4,
                 max_chars: int = 10_000, on_answer: Callable[[AnnotateStats], None] | None = None):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.client, self.cache, self.prompt = client, cache, prompt
        self.workers, self.max_chars, self.on_answer = workers, max_chars, on_answer
        self.cache.add_prompt(prompt.hash, prompt.name, prompt.full_text)
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def close(self) -> None:
        """Stop pending work and close the cache (waits for an answer being stored)."""
        self._stop.set()
        with self._lock:
            self.cache.close()

    def prepare(self, docs: pl.DataFrame) -> pl.DataFrame:
        """Truncate texts and add ``text_hash`` / ``stratum`` (drops empty texts)."""
        stratum = pl.col(STRATUM) if STRATUM in docs.columns else pl.lit(NO_STRATUM)
        frame = docs.select(
            pl.col("id").alias("doc_id"),
            pl.col("text").fill_null("").str.slice(0, self.max_chars).alias("text"),
            stratum.cast(pl.String).alias(STRATUM),
        ).filter(pl.col("text").str.strip_chars() != "")
        return frame.with_columns(pl.Series("text_hash", [text_hash(t) for t in frame["text"].to_list()],
                                            dtype=pl.String))

    def annotate(self, docs: pl.DataFrame, stats: AnnotateStats | None = None) -> AnnotateStats:
        """Annotate ``docs`` (``id``, ``text``, optional ``stratum``); return the updated ``stats``."""
        stats = stats or AnnotateStats()
        started = time.perf_counter()
        frame = self.prepare(docs)
        stats.n_docs += docs.height
        stats.n_empty += docs.height - frame.height
        self.cache.add_documents(frame)
        done = self.cache.done(frame["text_hash"].unique().to_list(), self.prompt.hash, self.client.model)
        fresh = frame.filter(~pl.col("text_hash").is_in(list(done)))
        todo = fresh.unique("text_hash", keep="first", maintain_order=True)
        stats.n_cached += frame.height - fresh.height
        stats.n_duplicate += fresh.height - todo.height
        try:
            self._run(todo, stats)
        finally:
            stats.seconds += time.perf_counter() - started
        return stats

    def _run(self, todo: pl.DataFrame, stats: AnnotateStats) -> None:
        rows = iter(todo.select("text_hash", "doc_id", "text").iter_rows())
        pending: set[Future] = set()
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="curate-annotate")
        try:
            while True:
                while len(pending) < 2 * self.workers:
                    row = next(rows, None)
                    if row is None:
                        break
                    pending.add(pool.submit(self._one, *row, stats))
                    stats.n_requested += 1
                if not pending:
                    break
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    fut.result()  # re-raises FatalEndpointError (or a bug) in the calling thread
        except BaseException:
            self._stop.set()  # in-flight requests give up their retries (answers that arrive are still stored)
            for fut in pending:
                fut.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _one(self, h: str, doc_id: str, text: str, stats: AnnotateStats) -> None:
        """Ask for one document and store the answer at once (in the worker, under the cache lock),
        so a killed run loses only requests still in flight."""
        try:
            if self._stop.is_set():
                return
            answer: Completion = self.client.complete(self.prompt.messages(text), stop=self._stop)
        except FatalEndpointError:
            raise
        except RequestFailed as exc:
            with self._lock:
                stats.n_failed += 1
                if len(stats.errors) < 20:
                    stats.errors.append(f"{doc_id}: {exc}")
            log.warning("annotation of %s failed: %s", doc_id, exc)
            return
        parsed = parse_score(answer.content)
        with self._lock:
            if self.cache.closed:  # the run was interrupted and its cache closed: nothing to store into
                return
            self.cache.put(text_hash=h, prompt_hash=self.prompt.hash, model=self.client.model, doc_id=doc_id,
                           score=parsed.score, justification=parsed.justification, answer=answer.content,
                           prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
                           endpoint=self.client.url)
            stats.n_ok += parsed.score is not None
            stats.n_unparsed += parsed.score is None
            stats.n_retried += answer.attempts > 1
            stats.prompt_tokens += answer.prompt_tokens or 0
            stats.completion_tokens += answer.completion_tokens or 0
            if self.on_answer is not None:
                self.on_answer(stats)
