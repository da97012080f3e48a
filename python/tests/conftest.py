"""Shared data generators for the Python tests (deterministic, generated in the test)."""

import random

import pytest

import cmz

# Codecs the tests lean on, with stand-ins for builds configured without them (make
# test-minimal has no zstd): SLOW compresses slowly enough to be caught in the act, FAST
# is a second codec besides the default, SLOW_DECODE decodes slowly.
_have = set(cmz.codecs())
SLOW = {"algorithm": "zstd" if "zstd" in _have else "lzma", "level": 12 if "zstd" in _have else 6,
        "threads": 1, "chunk_size": 1 << 18}
FAST = "lz4" if "lz4" in _have else "none"
SLOW_DECODE = "bzip2" if "bzip2" in _have else "lzma"
# For tests about zstd itself: they skip, saying why, in a build without it.
needs_zstd = pytest.mark.skipif("zstd" not in _have, reason="this build has no zstd codec")


def mixed_data(size, seed=1):
    """Compressible but not trivial: words from a small vocabulary with random bytes mixed in."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(300)]
    out = bytearray()
    while len(out) < size:
        if rng.random() < 0.1:
            out += rng.randbytes(rng.randint(1, 16))
        else:
            out += rng.choice(words) + b" "
    return bytes(out[:size])


@pytest.fixture(scope="session")
def mixed():
    return mixed_data(300_000)
