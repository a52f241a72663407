"""Deduplication internals: text normalisation, signatures, out-of-core reduce, and indexes of past corpora.

The stages that use them live in :mod:`curate.stages.dedup` (``exact_dedup``, ``minhash_dedup``).
"""
