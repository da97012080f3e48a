"""No growth over 10,000 calls: neither in memory the interpreter allocates (tracemalloc)
nor in live objects (the gc's count), through the one-shot calls, the reusable objects and
the error paths."""

import gc
import os
import tracemalloc

import numpy as np

import cmz
from conftest import mixed_data

CALLS = 10_000


def resident():
    """Bytes of this process in memory now (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def growth(step, calls=CALLS):
    """Bytes and objects still held after `calls` calls, counted after a warm-up under the
    tracer (the interpreter's own tables grow once at first, e.g. on the first dicts of a
    shape)."""
    tracemalloc.start()
    for _ in range(500):
        step()
    gc.collect()
    objects = len(gc.get_objects())
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(calls):
        step()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, len(gc.get_objects()) - objects


def test_one_shot_calls_do_not_grow():
    data = mixed_data(1000)
    frame = cmz.compress(data)
    out = bytearray(len(data))

    def step():
        f = cmz.compress(data, threads=1)
        cmz.decompress(f, threads=1)
        cmz.decompress(frame, out=out, threads=1)
        cmz.read_range(frame, 10, 100, threads=1)
        cmz.info(frame)

    rss = resident()
    nbytes, nobjects = growth(step)
    assert nbytes < 64 * 1024 and nobjects < 50, (nbytes, nobjects)
    # libcmz's own memory (a context per call) is not traced: the process must not grow
    # either (10,000 lost contexts would be hundreds of MiB)
    assert resident() - rss < 16 << 20


def test_reused_objects_and_numpy_do_not_grow():
    a = np.arange(512, dtype=np.float32)
    out = np.empty_like(a)
    c = cmz.Compressor(filter="shuffle")
    d = cmz.Decompressor()

    def step():
        d.decompress(c.compress(a), out=out)
        d.read_range(c.compress(a), 4, 8)

    nbytes, nobjects = growth(step)
    assert nbytes < 64 * 1024 and nobjects < 50, (nbytes, nobjects)


def test_error_paths_do_not_grow():
    frame = cmz.compress(mixed_data(5000), chunk_size=1024)
    bad = bytearray(frame)
    bad[200] ^= 1
    bad = bytes(bad)
    d = cmz.Decompressor()

    def step():
        for call in (lambda: d.decompress(bad), lambda: cmz.decompress(frame[:-3]),
                     lambda: cmz.info(b"not a frame at all, no" * 3),
                     lambda: cmz.compress(b"x", algorithm="nope"),
                     lambda: cmz.decompress(frame, out=bytearray(10))):
            try:
                call()
            except cmz.Error:
                pass

    nbytes, nobjects = growth(step, CALLS // 5)
    assert nbytes < 64 * 1024 and nobjects < 50, (nbytes, nobjects)


def test_info_keys_do_not_churn_the_interned_strings():
    """info()'s dict keys are not interned one by one: interned keys that die with the dict
    leave dead slots in the interpreter's table of interned strings, which grows it again
    and again (seen by tracemalloc as ~1 MiB 'held' by a few thousand calls)."""
    frame = cmz.compress(mixed_data(1000))
    nbytes, nobjects = growth(lambda: cmz.info(frame), 30_000)
    assert nbytes < 64 * 1024 and nobjects < 50, (nbytes, nobjects)


def test_registry_init_again_keeps_no_extra_callback_reference():
    """__init__ run again after one that failed (a bad policy file, after the callbacks were
    taken) replaces the callbacks it holds instead of leaking the old references."""
    import sys

    from cmz import _cmz

    def callback(*args):
        pass

    r = _cmz._Registry.__new__(_cmz._Registry)
    before = sys.getrefcount(callback)
    for _ in range(10):
        try:
            r.__init__(1000, check_interval_ms=0, on_pressure=callback, on_release=callback,
                       policy="/nonexistent/cmz-policy.yaml")
        except cmz.Error:
            pass
    assert sys.getrefcount(callback) - before <= 2
