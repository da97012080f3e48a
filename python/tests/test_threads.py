"""The GIL is released during codec work: two threads compressing at once both run (their
CPU clocks advance together), the main thread keeps running Python meanwhile, and one
Compressor shared by several threads gives right results (its calls take turns)."""

import threading
import time

import pytest

import cmz
from conftest import SLOW, FAST, mixed_data



@pytest.fixture(scope="module")
def data():
    return mixed_data(1 << 20) * 2


def cpu_clock(thread):
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def test_two_threads_compress_at_the_same_time(data):
    """Sampled every few milliseconds, both workers' CPU clocks advance in the same windows.
    With the GIL held through a call, the other worker (and this sampler) could not run until
    it ended: no window would see both advance."""
    go = threading.Event()
    results = {}

    def work(name):
        go.wait()
        results[name] = cmz.compress(data, **SLOW)

    workers = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in workers:
        t.start()
    before = [cpu_clock(t) for t in workers]
    go.set()
    both = windows = 0
    start = time.perf_counter()
    while any(t.is_alive() for t in workers):
        time.sleep(0.005)
        try:
            now = [cpu_clock(t) for t in workers]
        except (OSError, TypeError):  # a worker ended between the check and the sample
            break
        windows += 1
        if all(n - b > 0.0005 for n, b in zip(now, before)):
            both += 1
        before = now
    wall = time.perf_counter() - start
    for t in workers:
        t.join()
    assert results["a"] == results["b"]
    assert cmz.decompress(results["a"]) == data
    assert both >= 5, f"{both} of {windows} windows saw both threads run ({wall:.2f} s)"


def test_main_thread_runs_python_during_a_call(data):
    """The longest pause of a Python loop in this thread while another thread compresses is
    short against the call: the call does not hold the GIL."""
    duration = []
    go = threading.Event()

    def work():
        go.wait()
        t0 = time.perf_counter()
        cmz.compress(data, **SLOW)
        duration.append(time.perf_counter() - t0)

    t = threading.Thread(target=work)
    t.start()
    last = time.perf_counter()
    longest = 0.0
    go.set()  # from here on this loop runs: the call starts while it does
    while t.is_alive():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    t.join()
    assert longest < duration[0] / 2, f"paused {longest:.3f} s in a {duration[0]:.3f} s call"


def test_one_compressor_shared_by_threads():
    c = cmz.Compressor(algorithm=FAST, chunk_size=4096, threads=2)
    d = cmz.Decompressor(threads=2)
    inputs = [mixed_data(50_000 + 1000 * i, seed=i) for i in range(4)]
    errors = []

    def work(i):
        try:
            for _ in range(20):
                frame = c.compress(inputs[i])
                if d.decompress(frame) != inputs[i]:
                    errors.append(f"thread {i}: wrong data")
        except Exception as e:  # reported below, not lost in the thread
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_one_shot_calls_from_threads_share_the_module_pool():
    """Several threads at once, each call on the module's one pool of threads."""
    inputs = [mixed_data(200_000, seed=i) for i in range(4)]
    expected = [cmz.compress(x, chunk_size=16384, threads=1) for x in inputs]
    errors = []

    def work(i):
        try:
            for _ in range(5):
                frame = cmz.compress(inputs[i], chunk_size=16384, threads=3)
                if frame != expected[i] or cmz.decompress(frame, threads=2) != inputs[i]:
                    errors.append(f"thread {i}: wrong result")
        except Exception as e:  # reported below, not lost in the thread
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_a_forked_child_gets_threads_of_its_own():
    """A child of fork() has none of its parent's threads: contexts and the module's pool
    made before the fork are left alone there and new ones made, instead of waiting forever
    on threads that do not exist."""
    import os
    import signal

    data = mixed_data(300_000)
    c = cmz.Compressor(chunk_size=16384, threads=2)
    d = cmz.Decompressor(threads=2)
    frame = cmz.compress(data, chunk_size=16384, threads=2)  # the module pool's threads run
    assert c.compress(data) == frame and d.decompress(frame) == data  # and the objects'
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        code = 1
        try:
            signal.alarm(20)
            ok = cmz.compress(data, chunk_size=16384, threads=2) == frame
            ok = ok and c.compress(data) == frame and d.decompress(frame) == data
            ok = ok and cmz.decompress(frame, threads=2) == data
            del c, d  # freeing what the parent made must not wait on its threads either
            code = 0 if ok else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
