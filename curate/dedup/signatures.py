"""Document signatures for dedup, a batch at a time: exact hashes and MinHash LSH band keys.

MinHash follows datatrove's scheme (``MinhashDedupSignature``): word n-grams of the simplified
text, each n-gram hashed to 64 bits, ``bands * rows`` universal hash permutations
``((h * a + b) mod 2**64) mod (2**61 - 1)`` with ``a, b`` drawn from ``numpy.random.RandomState(seed)``
exactly as datatrove draws them, and the minimum per permutation. Each band's ``rows`` minima are
mixed into one 64-bit band key, so an LSH bucket is an equality group on one integer column.

Differences from datatrove, on purpose: words are split on single spaces of the simplified text (no
spaCy tokenizer, which splits a few words such as ``cannot`` further), and an n-gram's hash is built
from its words' hashes (Polars' vectorised string hash, then a 64-bit mix) rather than by hashing
the joined n-gram string, so no Python code runs per n-gram. The word hash is only stable within
one Polars version, so indexes record :func:`hash_fingerprint` and are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl
import xxhash

from curate.dedup.text import simplify_expr

MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_WORD_SEED = 0x5EED
#: shingle rows per block of the MinHash loop (block × permutations × 8 bytes stays cache-sized)
_BLOCK = 256


def fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (avalanche), on a copy of ``x``."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(33))
        x *= _M1
        x ^= x >> np.uint64(33)
        x *= _M2
        x ^= x >> np.uint64(33)
    return x


def combine(columns: list[np.ndarray]) -> np.ndarray:
    """Order-sensitive 64-bit hash of several equally long uint64 arrays."""
    with np.errstate(over="ignore"):
        h = fmix64(columns[0] + _GOLDEN)
        for col in columns[1:]:
            h = fmix64((h * np.uint64(31)) ^ (col + _GOLDEN))
    return h


@cache
def _position_weights(n: int) -> np.ndarray:
    """One odd 64-bit multiplier per word position of an n-gram."""
    return fmix64(np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN) | np.uint64(1)


@cache
def hash_fingerprint() -> str:
    """Fingerprint of the word hash in use; indexes built under another one are incompatible."""
    probe = pl.Series(["curate", "dedup", "fingerprint", "é", ""]).hash(_WORD_SEED).to_numpy()
    return xxhash.xxh64_hexdigest(probe.tobytes())


def shingle_hashes(texts: pl.Series, n_grams: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every word ``n_grams``-gram of each text, and the document index of each.

    Documents with fewer than ``n_grams`` words (and null texts) have no shingles, as in datatrove.
    """
    simple = pl.select(simplify_expr(texts.cast(pl.String).fill_null("").alias("t"))).to_series()
    words = simple.str.split(" ")
    lengths = words.list.len().to_numpy().astype(np.int64)
    lengths[(simple.str.len_bytes() == 0).to_numpy()] = 0
    flat = words.explode()
    word_hash = flat.hash(_WORD_SEED).to_numpy()
    # the exploded list keeps one "" element for empty documents: drop those positions
    starts = np.concatenate(([0], np.cumsum(np.maximum(lengths, 1))[:-1]))
    n_shingles = np.maximum(lengths - n_grams + 1, 0)
    total = int(n_shingles.sum())
    if total == 0:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    doc = np.repeat(np.arange(len(lengths), dtype=np.int64), n_shingles)
    first = np.repeat(starts, n_shingles) + (
        np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n_shingles) - n_shingles, n_shingles)
    )
    # every window of n_grams consecutive words (contiguous slices), then keep those inside a document
    span = word_hash.size - n_grams + 1
    weights = _position_weights(n_grams)
    with np.errstate(over="ignore"):
        window = word_hash[:span] * weights[0]
        for k in range(1, n_grams):
            window += word_hash[k : span + k] * weights[k]
    return fmix64(window[first]), doc


@dataclass(frozen=True)
class MinHasher:
    """MinHash LSH with datatrove's parameters: ``bands`` × ``rows`` permutations over word ``n_grams``."""

    n_grams: int = 5
    bands: int = 14
    rows: int = 8
    seed: int = 1

    @property
    def permutations(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``(a, b)`` parameters of the universal hash permutations (datatrove's draw)."""
        return _permutations(self.seed, self.bands * self.rows)

    def signatures(self, texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
        """MinHash signatures ``(n_docs, bands*rows)`` and a mask of documents that have one."""
        hashes, doc = shingle_hashes(texts, self.n_grams)
        return minhash(hashes, doc, len(texts), *self.permutations)

    def band_keys(self, texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
        """One 64-bit key per band ``(n_docs, bands)`` and the mask of documents that have keys."""
        sig, has = self.signatures(texts)
        sig = sig.reshape(len(texts), self.bands, self.rows)
        keys = np.stack(
            [combine([sig[:, band, r] for r in range(self.rows)] + [np.full(len(texts), band, np.uint64)])
             for band in range(self.bands)],
            axis=1,
        ) if len(texts) else np.empty((0, self.bands), np.uint64)
        return keys, has


@cache
def _permutations(seed: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(seed)
    a = gen.randint(1, MERSENNE_PRIME, dtype=np.uint64, size=(1, k))
    b = gen.randint(0, MERSENNE_PRIME, dtype=np.uint64, size=(1, k))
    return a, b


def minhash(
    hashes: np.ndarray, doc: np.ndarray, n_docs: int, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-document minimum of each permutation of ``hashes`` (rows grouped by sorted ``doc``).

    The Mersenne reduction is done with shifts; a value in ``[p, p + 7]`` (probability 2**-58) is
    left unreduced, which can only make one minimum differ from datatrove's.
    """
    k = a.shape[1]
    out = np.full((n_docs, k), np.iinfo(np.uint64).max, dtype=np.uint64)
    has = np.zeros(n_docs, dtype=bool)
    if hashes.size == 0:
        return out, has
    has[doc] = True
    buf = np.empty((_BLOCK, k), dtype=np.uint64)
    low = np.empty((_BLOCK, k), dtype=np.uint64)
    shift = np.uint64(61)
    with np.errstate(over="ignore"):
        for lo in range(0, hashes.size, _BLOCK):
            hi = min(lo + _BLOCK, hashes.size)
            m = hi - lo
            x, y = buf[:m], low[:m]
            np.multiply(hashes[lo:hi, None], a, out=x)
            np.add(x, b, out=x)
            np.bitwise_and(x, MERSENNE_PRIME, out=y)
            np.right_shift(x, shift, out=x)
            np.add(x, y, out=x)
            d = doc[lo:hi]
            cut = np.flatnonzero(d[1:] != d[:-1]) + 1
            seg = np.concatenate(([0], cut))
            part = np.minimum.reduceat(x, seg, axis=0)
            ids = d[seg]
            out[ids] = np.minimum(out[ids], part)
    return out, has


def exact_hashes(normalised: pl.Series) -> pl.Series:
    """xxh3-64 of each normalised text as UInt64 (null for null or empty text)."""
    values = normalised.to_list()
    return pl.Series(
        [xxhash.xxh3_64_intdigest(v.encode("utf-8", "surrogatepass")) if v else None for v in values], dtype=pl.UInt64
    )
