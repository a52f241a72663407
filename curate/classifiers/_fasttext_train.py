"""Child process that trains one fastText model (``python -m curate.classifiers._fasttext_train ARGS_JSON``).

fastText <= 0.9.3 initialises only ``thread / 10`` of its input matrix (``uniformThread`` fills
one tenth of it per thread); the rest is whatever ``malloc`` returns. In a long-lived process that
is recycled heap memory, so training is irreproducible and often stops with "Encountered NaN".
Here, in a fresh process whose mmap threshold is pinned at 128 KiB before anything large is
allocated, the matrix comes from fresh (zeroed) pages: training is deterministic for a given seed
with ``thread=1`` and never starts from garbage.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import sys


def pin_mmap_threshold() -> bool:
    """Serve every allocation >= 128 KiB with a fresh mmap (glibc); False where unavailable."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(-3, 128 * 1024))  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        return False


def main() -> None:
    pin_mmap_threshold()
    args = json.loads(sys.argv[1])
    import fasttext

    model = fasttext.train_supervised(input=args["input"], verbose=0, loss="softmax", **args["params"])
    if args.get("quantize"):
        model.quantize(input=args["input"], retrain=False, qnorm=True, cutoff=0)
    model.save_model(args["output"])


if __name__ == "__main__":
    main()
