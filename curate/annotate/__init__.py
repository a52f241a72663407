"""LLM annotation for training labels: rubric prompts, a chat-completions client, a DuckDB answer cache.

Example:
    >>> from curate.annotate import Annotator, AnnotationCache, ChatClient, builtin_prompt
    >>> client = ChatClient("http://localhost:8000/v1", model="llama-3-70b")  # doctest: +SKIP
    >>> with AnnotationCache("labels.duckdb") as cache:  # doctest: +SKIP
    ...     stats = Annotator(client, cache, builtin_prompt(), workers=8).annotate(df)
"""

from __future__ import annotations

from curate.annotate.cache import AnnotationCache, text_hash
from curate.annotate.client import ChatClient, Completion, FatalEndpointError, RateLimiter, RequestFailed
from curate.annotate.parse import Parsed, parse_score
from curate.annotate.rubric import EDU_RUBRIC, Prompt, builtin_prompt, load_prompt
from curate.annotate.runner import AnnotateStats, Annotator
from curate.annotate.sample import allocate, stratified_sample

__all__ = [
    "EDU_RUBRIC", "AnnotateStats", "AnnotationCache", "Annotator", "ChatClient", "Completion",
    "FatalEndpointError", "Parsed", "Prompt", "RateLimiter", "RequestFailed", "allocate", "builtin_prompt",
    "load_prompt", "parse_score", "stratified_sample", "text_hash",
]
