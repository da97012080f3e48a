"""Ctrl-C during a long call: the call stops between chunks and KeyboardInterrupt is raised
(not after the call has run to its end); a SIGINT handler that does not raise lets the call
finish with the right result."""

import os
import signal
import threading
import time

import pytest

import cmz
from conftest import SLOW, SLOW_DECODE, mixed_data



@pytest.fixture(scope="module")
def piece():
    return mixed_data(1 << 19)


@pytest.fixture(scope="module")
def per_piece(piece):
    """Seconds to compress one piece with SLOW here, now."""
    t0 = time.perf_counter()
    cmz.compress(piece, **SLOW)
    return time.perf_counter() - t0


def sigint_after(seconds):
    t = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    t.start()
    return t


def test_keyboard_interrupt_stops_a_long_compress(piece, per_piece):
    data = piece * 24  # about 24 x per_piece to compress in full
    timer = sigint_after(min(0.2, per_piece))
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        cmz.compress(data, **SLOW)
    elapsed = time.perf_counter() - t0
    timer.join()
    assert elapsed < 8 * per_piece, f"stopped after {elapsed:.2f} s ({per_piece:.2f} s a piece)"
    # the module still works afterwards
    assert cmz.decompress(cmz.compress(piece)) == piece


def test_keyboard_interrupt_stops_a_reused_compressor(piece, per_piece):
    c = cmz.Compressor(**SLOW)
    timer = sigint_after(min(0.2, per_piece))
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        c.compress(piece * 24)
    timer.join()
    assert time.perf_counter() - t0 < 8 * per_piece
    assert cmz.decompress(c.compress(piece)) == piece  # the flag was reset


def test_keyboard_interrupt_stops_a_long_decompress(piece):
    # SLOW_DECODE decodes slowly; one thread decodes its chunks in turn
    data = piece * 8
    frame = cmz.compress(data, algorithm=SLOW_DECODE, level=1, chunk_size=1 << 15, threads=2)
    d = cmz.Decompressor(threads=1)
    assert d.decompress(frame) == data  # warm: threads started, memory mapped
    t0 = time.perf_counter()
    d.decompress(frame)
    full = time.perf_counter() - t0
    timer = sigint_after(full / 8)
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        d.decompress(frame)
    elapsed = time.perf_counter() - t0
    timer.join()
    assert elapsed < full / 2, f"stopped after {elapsed:.2f} s of a {full:.2f} s call"
    assert d.decompress(frame) == data


def test_a_handler_that_does_not_raise_lets_the_call_finish(piece, per_piece):
    seen = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        data = piece * 3
        timer = sigint_after(per_piece)
        frame = cmz.compress(data, **SLOW)
        timer.join()
    finally:
        signal.signal(signal.SIGINT, old)
    assert seen == [signal.SIGINT]
    assert cmz.decompress(frame) == data
