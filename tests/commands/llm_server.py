"""A real chat-completions HTTP server on 127.0.0.1 for annotation tests (no internet needed).

It scores each document deterministically (``keyword_score``), answers in several formats, can
inject 429 / 500 errors, delay answers, and counts every request it receives.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: Words whose presence the fake LLM rewards: a learnable, content-based 0-5 score.
EDU_WORDS = ("learn", "history", "science", "research", "example", "because", "student", "theory",
             "university", "school", "study", "define", "explain", "education", "information")
UNPARSEABLE_MARK = "@@no-score@@"
DOC = re.compile(r"<<<\n(.*)\n>>>", re.DOTALL)


def keyword_score(text: str) -> int:
    """0-5: how many distinct EDU_WORDS the text contains, capped at 5."""
    lower = text.lower()
    return min(5, sum(w in lower for w in EDU_WORDS))


def doc_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class FakeLLM(ThreadingHTTPServer):
    """``with FakeLLM() as llm: llm.url`` → ``http://127.0.0.1:PORT/v1``."""

    daemon_threads = True

    def __init__(self, api_key: str | None = None, delay: float = 0.0, fail_every: int = 0,
                 fail_status: int = 500, fail_first_per_doc: int = 0, fail_first_status: int = 429):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api_key = api_key
        self.delay = delay
        self.fail_every = fail_every
        self.fail_status = fail_status
        self.fail_first_per_doc = fail_first_per_doc
        self.fail_first_status = fail_first_status
        self.lock = threading.Lock()
        self.requests = 0            # every POST received
        self.answered = 0            # 200 answers sent
        self.errors = 0              # injected errors sent
        self.per_doc: Counter[str] = Counter()      # 200 answers per document
        self.attempts: Counter[str] = Counter()     # requests per document
        self.start_times: list[float] = []
        self.models: Counter[str] = Counter()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> FakeLLM:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    def answer_for(self, text: str, n: int) -> str:
        if UNPARSEABLE_MARK in text:
            return "I would rather not put a number on this page."
        score = keyword_score(text)
        why = f"The page mentions {score * 2} study-related ideas."
        style = n % 3
        if style == 0:
            return f"{why}\nEducational score: {score}"
        if style == 1:
            return json.dumps({"justification": why, "score": score})
        return f"**Reasoning:** {why}\n\n**Score:** {score}/5"


class _Handler(BaseHTTPRequestHandler):
    server: FakeLLM

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client was killed mid-request
            self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        srv = self.server
        length = int(self.headers.get("Content-Length", 0))
        req = json.loads(self.rfile.read(length))
        if not self.path.endswith("/chat/completions"):
            return self._send(404, {"error": {"message": f"no route {self.path}"}})
        if srv.api_key and self.headers.get("Authorization") != f"Bearer {srv.api_key}":
            return self._send(401, {"error": {"message": "invalid api key"}})
        user = req["messages"][-1]["content"]
        m = DOC.search(user)
        text = m.group(1) if m else user
        key = doc_key(text)
        with srv.lock:
            srv.requests += 1
            n = srv.requests
            srv.attempts[key] += 1
            attempt = srv.attempts[key]
            srv.start_times.append(time.monotonic())
            srv.models[req.get("model", "")] += 1
            inject = (srv.fail_every and n % srv.fail_every == 0) or attempt <= srv.fail_first_per_doc
            if inject:
                srv.errors += 1
        if inject:
            status = srv.fail_first_status if attempt <= srv.fail_first_per_doc else srv.fail_status
            return self._send(status, {"error": {"message": "injected failure"}}, {"Retry-After": "0"})
        if srv.delay:
            time.sleep(srv.delay)
        content = srv.answer_for(text, n)
        with srv.lock:
            srv.answered += 1
            srv.per_doc[key] += 1
        self._send(200, {
            "id": f"chatcmpl-{n}", "object": "chat.completion", "model": req.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": len(user.split()), "completion_tokens": len(content.split()),
                      "total_tokens": len(user.split()) + len(content.split())},
        })


def serve_forever_main() -> None:  # pragma: no cover - manual use: python -m tests.commands.llm_server
    with FakeLLM() as llm:
        print(llm.url, flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":  # pragma: no cover
    serve_forever_main()
