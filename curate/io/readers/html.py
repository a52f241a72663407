"""HTML to text: charset detection and main-content extraction, shared by the WARC reader and benchmarks."""

from __future__ import annotations

import zlib

from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding, map_encoding_to_html5
from resiliparse.parse.html import HTMLTree

#: Extractors a WARC reader can use (``extractor=`` in the pipeline file's ``input``).
EXTRACTORS = ("resiliparse", "trafilatura")

#: HTTP content types whose payload is an HTML document.
HTML_TYPES = ("text/html", "application/xhtml+xml")


def decode_html(body: bytes, http_charset: str | None = None) -> str:
    """Decode an HTML payload: the HTTP charset if given, else the ``<meta>`` charset, else detection."""
    if http_charset:
        encoding = map_encoding_to_html5(http_charset)
    else:
        encoding = detect_encoding(body, from_html_meta=True)
    return bytes_to_str(body, encoding or "utf-8")


def _resiliparse(html: str) -> str:
    tree = HTMLTree.parse(html)
    return extract_plain_text(
        tree, preserve_formatting=True, main_content=True, list_bullets=True, alt_texts=False,
        links=False, form_fields=False, noscript=False,
    )


def _trafilatura(html: str) -> str:
    import trafilatura  # imported on use: heavy, and only needed when selected

    text = trafilatura.extract(
        html, include_comments=False, include_tables=True, favor_precision=True, deduplicate=True,
    )
    return text or ""


def extract_text(html: str | bytes, extractor: str = "resiliparse", http_charset: str | None = None) -> str:
    """Main-content plain text of an HTML page (bytes are decoded with :func:`decode_html` first).

    Example:
        >>> extract_text("<html><body><main><p>Hello, world.</p></main></body></html>")
        'Hello, world.'
    """
    if extractor not in EXTRACTORS:
        raise ValueError(f"unknown extractor {extractor!r}; expected one of {list(EXTRACTORS)}")
    if isinstance(html, bytes):
        html = decode_html(html, http_charset)
    if not html.strip():
        return ""
    text = _resiliparse(html) if extractor == "resiliparse" else _trafilatura(html)
    return text.replace("\ufeff", "").strip()  # stray byte-order marks are invisible noise


def decode_chunked(data: bytes) -> bytes:
    """Undo HTTP ``Transfer-Encoding: chunked`` (raises ValueError on a malformed chunk header)."""
    out, pos = bytearray(), 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            raise ValueError("chunk size line without CRLF")
        size = int(data[pos:end].split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            return bytes(out)
        start = end + 2
        if start + size > len(data):
            raise ValueError("chunk runs past the end of the payload")
        out += data[start:start + size]
        pos = start + size + 2


def decode_content(data: bytes, encoding: str | None) -> bytes:
    """Undo an HTTP ``Content-Encoding`` (gzip, deflate, br); raises ValueError when it cannot."""
    enc = (encoding or "").strip().lower()
    if enc in ("", "identity", "none"):
        return data
    try:
        if enc in ("gzip", "x-gzip", "deflate"):
            try:
                return zlib.decompressobj(47).decompress(data)  # gzip or zlib header, detected
            except zlib.error:
                return zlib.decompressobj(-15).decompress(data)  # raw deflate, as some servers send
        if enc == "br":
            import brotli

            return brotli.decompress(data)
    except Exception as exc:
        raise ValueError(f"cannot undo Content-Encoding {encoding!r}: {exc}") from exc
    raise ValueError(f"unsupported Content-Encoding {encoding!r}")


__all__ = ["EXTRACTORS", "HTML_TYPES", "decode_chunked", "decode_content", "decode_html", "extract_text"]
