"""A minimal OpenAI-compatible chat-completions client: retries with backoff, a shared rate limit."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

#: HTTP statuses worth retrying (rate limited, server busy or failing).
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
#: Statuses that will fail for every request (bad key, wrong URL or model): stop the run.
FATAL_STATUSES = frozenset({401, 403, 404})


class RequestFailed(RuntimeError):
    """A request that failed after all retries (or with a non-retryable status)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class FatalEndpointError(RequestFailed):
    """The endpoint rejects every request (auth, URL or model name); retrying other documents is pointless."""


@dataclass(frozen=True)
class Completion:
    """One answer: its text and the tokens the endpoint reported in ``usage``."""

    content: str
    prompt_tokens: int | None
    completion_tokens: int | None
    attempts: int = 1


class RateLimiter:
    """At most ``rate`` request starts per second across all threads (None = unlimited)."""

    def __init__(self, rate: float | None):
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be positive requests/second, got {rate}")
        self.interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller may start a request."""
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


def chat_url(endpoint: str) -> str:
    """The chat-completions URL for a base URL (``http://host:8000/v1``) or a full one."""
    url = endpoint.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    return url + "/chat/completions"


class ChatClient:
    """POST chat-completions requests with retries, exponential backoff and a rate limit.

    Args:
        endpoint: base URL of the OpenAI-compatible API (``http://localhost:8000/v1``) or the full
            ``.../chat/completions`` URL.
        model: model name sent in each request.
        api_key: sent as ``Authorization: Bearer``; None sends none (local servers).
        temperature / max_tokens: generation settings.
        timeout: seconds per request.
        max_retries: retries after the first attempt, on 429 / 5xx / connection errors / timeouts.
        backoff: first retry delay in seconds; doubles each retry (with jitter), capped at
            ``max_backoff``; a ``Retry-After`` header is honoured.
        rate: requests per second across all threads (None: unlimited).
    """

    def __init__(self, endpoint: str, model: str, api_key: str | None = None, temperature: float = 0.0,
                 max_tokens: int = 512, timeout: float = 120.0, max_retries: int = 5, backoff: float = 1.0,
                 max_backoff: float = 60.0, rate: float | None = None):
        self.url = chat_url(endpoint)
        self.model = model
        self.api_key = api_key
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.limiter = RateLimiter(rate)

    def complete(self, messages: list[dict[str, str]], stop: threading.Event | None = None) -> Completion:
        """Send one chat request; return the answer or raise RequestFailed / FatalEndpointError.

        ``stop`` (set when the run is interrupted) ends the retries early."""
        body = json.dumps({"model": self.model, "messages": messages, "temperature": self.temperature,
                           "max_tokens": self.max_tokens}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last_error, status = "", None
        for attempt in range(self.max_retries + 1):
            self.limiter.wait()
            retry_after = None
            try:
                req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    payload = json.loads(resp.read().decode("utf-8"))
                return _completion(payload, attempt + 1)
            except urllib.error.HTTPError as exc:
                status = exc.code
                detail = _read_error(exc)
                last_error = f"HTTP {exc.code} from {self.url}: {detail}"
                if exc.code in FATAL_STATUSES:
                    raise FatalEndpointError(last_error + _hint(exc.code), exc.code) from None
                if exc.code not in RETRY_STATUSES:
                    raise RequestFailed(last_error, exc.code) from None
                retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last_error = f"cannot reach {self.url}: {getattr(exc, 'reason', exc)}"
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                last_error = f"malformed response from {self.url}: {exc}"
            if stop is not None and stop.is_set():
                break
            if attempt < self.max_retries:
                delay = min(self.max_backoff, self.backoff * (2 ** attempt)) * (0.5 + random.random() / 2)
                time.sleep(max(delay, retry_after or 0.0))
        raise RequestFailed(f"{last_error} (gave up after {self.max_retries + 1} attempts)", status)


def _completion(payload: dict, attempts: int) -> Completion:
    content = payload["choices"][0]["message"]["content"]
    if not isinstance(content, str):
        raise TypeError("choices[0].message.content is not a string")
    usage = payload.get("usage") or {}
    return Completion(content, usage.get("prompt_tokens"), usage.get("completion_tokens"), attempts)


def _read_error(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read().decode("utf-8", "replace")[:300].strip() or exc.reason
    except Exception:  # pragma: no cover
        return str(exc.reason)


def _retry_after(value: str | None) -> float | None:
    try:
        return min(float(value), 300.0) if value else None
    except ValueError:
        return None


def _hint(status: int) -> str:
    if status in (401, 403):
        return " (check the API key: --api-key-env names the environment variable holding it)"
    return " (check --endpoint, e.g. http://localhost:8000/v1, and --model)"
