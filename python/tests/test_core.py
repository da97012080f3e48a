"""cmz's core calls: round trips for every codec, filter and NumPy dtype, the zero-copy
paths, every error class on damaged, truncated and foreign input, and the reusable
Compressor / Decompressor."""

import array
import mmap

import numpy as np
import pytest

import cmz
from conftest import FAST, mixed_data

LENGTHS = [0, 1, 7, 4096, 65537, 300_000]


@pytest.mark.parametrize("algorithm", cmz.codecs())
def test_every_codec_round_trips(algorithm, mixed):
    for n in LENGTHS:
        data = mixed[:n]
        frame = cmz.compress(data, algorithm=algorithm, chunk_size=65536)
        assert isinstance(frame, bytes)
        assert cmz.decompress(frame) == data
        info = cmz.info(frame)
        assert info["algorithm"] == algorithm
        assert info["content_size"] == n
        assert info["frame_size"] == len(frame)


@pytest.mark.parametrize("filter", ["shuffle", "bitshuffle", "delta", "planes", "auto"])
@pytest.mark.parametrize("typesize", [2, 4, 8])
def test_every_filter_round_trips(filter, typesize):
    rng = np.random.default_rng(typesize)
    data = np.cumsum(rng.integers(0, 50, 100_003, dtype=np.int64)).astype(np.int64).tobytes()
    for n in (0, 1, typesize - 1, 1000, 65536 + 3, len(data)):
        frame = cmz.compress(data[:n], filter=filter, typesize=typesize, chunk_size=65536)
        assert cmz.decompress(frame) == data[:n]
        if filter != "auto":
            assert cmz.info(frame)["filter"] == filter


DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.float16, np.float32,
          np.float64, np.int64, np.complex64, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_dtypes_round_trip_with_itemsize_as_typesize(dtype):
    rng = np.random.default_rng(7)
    a = (rng.standard_normal((123, 77)) * 100).astype(dtype)
    frame = cmz.compress(a, filter="shuffle" if a.itemsize in (2, 4, 8) else None)
    if a.itemsize in (2, 4, 8):
        assert cmz.info(frame)["typesize"] == a.itemsize
    out = np.empty_like(a)
    assert cmz.decompress(frame, out=out) is out
    np.testing.assert_array_equal(out, a)
    back = np.frombuffer(cmz.decompress(frame), dtype=dtype).reshape(a.shape)
    np.testing.assert_array_equal(back, a)


def test_explicit_typesize_wins_over_itemsize():
    a = np.arange(10_000, dtype=np.float64)
    frame = cmz.compress(a, filter="shuffle", typesize=4)
    assert cmz.info(frame)["typesize"] == 4
    assert cmz.decompress(frame) == a.tobytes()


def test_model_weights_type_takes_the_policy_settings():
    w = np.random.default_rng(3).standard_normal(300_000).astype(np.float32)
    frame = cmz.compress(w, type="model_weights")
    info = cmz.info(frame)
    plain = cmz.info(cmz.compress(w))
    assert (info["algorithm"], info["filter"]) != (plain["algorithm"], plain["filter"])
    assert info["typesize"] == 4
    assert cmz.decompress(frame) == w.tobytes()
    # explicit keywords go over the policy's
    assert cmz.info(cmz.compress(w, type="model_weights", algorithm=FAST))["algorithm"] == FAST


def test_every_buffer_kind_is_taken(mixed):
    data = mixed[:50_000]
    m = mmap.mmap(-1, len(data))
    m.write(data)
    for obj in (data, bytearray(data), memoryview(data), m, array.array("b", data),
                np.frombuffer(data, dtype=np.uint8)):
        assert cmz.decompress(cmz.compress(obj)) == data
    frame = cmz.compress(data)
    for obj in (bytearray(frame), memoryview(frame), np.frombuffer(frame, dtype=np.uint8)):
        assert cmz.decompress(obj) == data
    m.close()


def test_non_contiguous_and_non_buffer_inputs_are_type_errors():
    a = np.arange(100, dtype=np.int32)[::2]
    with pytest.raises(TypeError, match="data"):
        cmz.compress(a)
    with pytest.raises(TypeError, match="data"):
        cmz.compress("text")
    with pytest.raises(TypeError, match="frame"):
        cmz.decompress(12)
    with pytest.raises(TypeError, match="out"):
        cmz.decompress(cmz.compress(b"abc"), out=b"xyz")  # read-only


def test_out_is_written_in_place():
    a = np.random.default_rng(1).integers(0, 1000, 500_000).astype(np.int32)
    frame = cmz.compress(a, threads=2, chunk_size=65536)
    out = np.zeros_like(a)
    pointer = out.__array_interface__["data"][0]
    res = cmz.decompress(frame, out=out, threads=2)
    assert res is out
    assert out.__array_interface__["data"][0] == pointer
    np.testing.assert_array_equal(out, a)
    # a view into a larger array: exactly the viewed bytes are written
    big = np.full(a.size + 20, -1, dtype=np.int32)
    view = big[10:-10]
    assert cmz.decompress(frame, out=view) is view
    assert np.shares_memory(view, big)
    np.testing.assert_array_equal(big[10:-10], a)
    assert (big[:10] == -1).all() and (big[-10:] == -1).all()
    ba = bytearray(a.nbytes)
    assert cmz.decompress(frame, out=ba) is ba and bytes(ba) == a.tobytes()


def test_out_too_small_is_an_argument_error():
    frame = cmz.compress(b"x" * 1000)
    with pytest.raises(cmz.ArgumentError) as e:
        cmz.decompress(frame, out=bytearray(999))
    assert isinstance(e.value, ValueError)
    assert e.value.status == "CMZ_ERR_DST_TOO_SMALL"


def test_read_range_decodes_the_range(mixed):
    frame = cmz.compress(mixed, chunk_size=4096)
    for off, n in [(0, 0), (0, 10), (4090, 20), (123_456, 50_000), (len(mixed) - 1, 1)]:
        assert cmz.read_range(frame, off, n) == mixed[off:off + n]
    with pytest.raises(cmz.ArgumentError) as e:
        cmz.read_range(frame, len(mixed) - 5, 10)
    assert e.value.status == "CMZ_ERR_RANGE"
    with pytest.raises(ValueError):
        cmz.read_range(frame, -1, 10)


def test_parity_is_recorded():
    frame = cmz.compress(mixed_data(100_000), chunk_size=4096, parity=(4, 2))
    assert cmz.info(frame)["parity"] == (4, 2)
    assert cmz.decompress(frame) == mixed_data(100_000)


# ---- errors -------------------------------------------------------------------------------

def frame_of(n=200_000, **kw):
    data = mixed_data(n)
    return data, cmz.compress(data, chunk_size=16384, **kw)


def test_foreign_input_is_not_a_frame():
    for foreign in (b"hello world" * 20, bytes(200), np.arange(100).tobytes()):
        for call in (cmz.decompress, cmz.info, lambda f: cmz.read_range(f, 0, 1)):
            with pytest.raises(cmz.NotAFrameError) as e:
                call(foreign)
            assert isinstance(e.value, cmz.CorruptError)
            assert e.value.status == "CMZ_ERR_BAD_MAGIC"


def test_truncated_input():
    _, frame = frame_of()
    for cut in (0, 1, 47, 100):
        with pytest.raises(cmz.TruncatedError) as e:
            cmz.decompress(frame[:cut])
        assert e.value.status == "CMZ_ERR_TRUNCATED"
    # cut anywhere further in: the footer is missing, always a CorruptError
    for cut in range(200, len(frame), len(frame) // 37):
        with pytest.raises(cmz.CorruptError):
            cmz.decompress(frame[:cut])


def test_damaged_chunk_names_chunk_and_offset():
    data, frame = frame_of()
    info = cmz.info(frame)
    assert info["chunk_count"] > 5
    bad = bytearray(frame)
    bad[len(frame) // 2] ^= 0x40
    with pytest.raises(cmz.CorruptError) as e:
        cmz.decompress(bad)
    err = e.value
    assert err.status in ("CMZ_ERR_CHECKSUM", "CMZ_ERR_CORRUPT")
    assert isinstance(err.chunk, int) and 0 < err.chunk < info["chunk_count"]
    assert isinstance(err.offset, int) and err.offset <= len(frame) // 2
    assert f"chunk {err.chunk}" in str(err)


def test_every_byte_flip_is_an_error_or_the_data():
    """Never a crash and never a silent wrong result, whatever byte is damaged."""
    data, frame = frame_of(40_000)
    step = max(1, len(frame) // 400)
    for i in range(0, len(frame), step):
        bad = bytearray(frame)
        bad[i] ^= 0xFF
        try:
            assert cmz.decompress(bad) == data
        except cmz.Error as e:
            assert e.status.startswith("CMZ_ERR_")


def test_unsupported_version():
    """A newer format version is UnsupportedError, not damage."""
    _, frame = frame_of(1000)
    bad = bytearray(frame)
    bad[8] = 0x7F  # the format version follows the 8-byte magic (docs/FORMAT.md)
    with pytest.raises(cmz.UnsupportedError) as e:
        cmz.decompress(bad)
    assert e.value.status == "CMZ_ERR_VERSION"
    assert not isinstance(e.value, cmz.CorruptError)


def test_memory_limit_is_a_limit_error():
    data = mixed_data(300_000)
    frame = cmz.compress(data, chunk_size=1 << 20)
    with pytest.raises(cmz.LimitError) as e:
        cmz.decompress(frame, memory_limit=4096)
    assert e.value.status == "CMZ_ERR_LIMIT"


def test_bad_arguments():
    with pytest.raises(cmz.UnknownCodecError) as e:
        cmz.compress(b"x", algorithm="zip9")
    assert isinstance(e.value, ValueError) and "valid codecs" in str(e.value)
    with pytest.raises(cmz.ArgumentError, match="out of range"):
        cmz.compress(b"x", algorithm="bzip2" if "bzip2" in cmz.codecs() else "lzma", level=99)
    with pytest.raises(ValueError):
        cmz.compress(b"x", filter="squeeze")
    with pytest.raises(ValueError):
        cmz.compress(b"x", chunk_size=3)
    with pytest.raises(ValueError):
        cmz.compress(b"x", threads=-1)
    with pytest.raises(TypeError):
        cmz.compress(b"x", parity=3)
    with pytest.raises(ValueError):
        cmz.compress(b"x", parity=(0, 1))
    with pytest.raises(TypeError):
        cmz.compress(b"x", level="high")
    with pytest.raises(TypeError):
        cmz.compress(b"x", "zstd")  # keywords only
    with pytest.raises(cmz.ArgumentError, match="typesize"):
        cmz.compress(b"xxxx", filter="shuffle")  # bytes carry no itemsize


def test_error_classes_form_the_documented_tree():
    assert issubclass(cmz.Error, Exception)
    for cls in (cmz.CorruptError, cmz.UnknownCodecError, cmz.ArgumentError, cmz.LimitError,
                cmz.PolicyError, cmz.UnsupportedError, cmz.CodecError, cmz.FileError,
                cmz.OutOfMemoryError, cmz.InterruptedError, cmz.NotFoundError,
                cmz.ExistsError, cmz.BusyError):
        assert issubclass(cls, cmz.Error)
        assert cls.__doc__
    assert issubclass(cmz.TruncatedError, cmz.CorruptError)
    assert issubclass(cmz.NotAFrameError, cmz.CorruptError)
    assert issubclass(cmz.OutOfMemoryError, MemoryError)
    assert issubclass(cmz.FileError, OSError)
    assert issubclass(cmz.PolicyError, ValueError)
    e = cmz.CorruptError("made by hand")
    assert e.status is None and e.chunk is None and e.offset is None


# ---- reusable objects ---------------------------------------------------------------------

def test_compressor_and_decompressor_are_reusable(mixed):
    c = cmz.Compressor(algorithm=FAST, level=1, threads=2, chunk_size=65536)
    d = cmz.Decompressor(threads=2)
    assert c.params["algorithm"] == FAST and c.params["chunk_size"] == 65536
    for n in LENGTHS + LENGTHS[::-1]:
        frame = c.compress(mixed[:n])
        assert frame == cmz.compress(mixed[:n], algorithm=FAST, level=1, chunk_size=65536)
        assert d.decompress(frame) == mixed[:n]
    frame = c.compress(mixed)
    assert d.read_range(frame, 1000, 70_000) == mixed[1000:71_000]
    out = bytearray(len(mixed))
    assert d.decompress(frame, out=out) is out and out == mixed
    with pytest.raises(cmz.CorruptError):
        d.decompress(frame[:-1])
    assert d.decompress(frame) == mixed  # still usable after an error


def test_compressor_follows_the_itemsize_of_each_call():
    c = cmz.Compressor(filter="shuffle")
    for dtype in (np.int16, np.float32, np.float64, np.int32):
        a = np.arange(5000, dtype=dtype)
        frame = c.compress(a)
        assert cmz.info(frame)["typesize"] == a.itemsize
        assert cmz.decompress(frame) == a.tobytes()


def test_context_managers_and_close(mixed):
    with cmz.Compressor() as c, cmz.Decompressor() as d:
        assert d.decompress(c.compress(mixed)) == mixed
    c.close()
    d.close()
    assert d.decompress(c.compress(b"again")) == b"again"  # new contexts on demand


def test_output_is_independent_of_threads(mixed):
    frames = {cmz.compress(mixed, chunk_size=16384, threads=t) for t in (1, 2, 3, 0)}
    assert len(frames) == 1


def test_docstrings():
    for name in cmz.__all__:
        obj = getattr(cmz, name)
        if callable(obj):
            assert obj.__doc__, name
    import inspect

    assert "algorithm" in inspect.signature(cmz.compress).parameters
    assert "out" in inspect.signature(cmz.Decompressor.decompress).parameters
    assert cmz.__doc__


def test_every_status_maps_to_its_class():
    from cmz import _cmz

    expected = {
        -1: cmz.Error, -2: cmz.OutOfMemoryError, -3: cmz.ArgumentError,
        -4: cmz.UnknownCodecError, -5: cmz.ArgumentError, -6: cmz.ArgumentError,
        -7: cmz.CorruptError, -8: cmz.CodecError, -9: cmz.NotAFrameError,
        -10: cmz.UnsupportedError, -11: cmz.CorruptError, -12: cmz.TruncatedError,
        -13: cmz.LimitError, -14: cmz.FileError, -15: cmz.UnsupportedError,
        -16: cmz.ArgumentError, -17: cmz.Error, -18: cmz.InterruptedError,
        -19: cmz.UnknownCodecError, -20: cmz.NotFoundError, -21: cmz.ExistsError,
        -22: cmz.BusyError, -999: cmz.Error,
    }
    for status, cls in expected.items():
        assert _cmz._error_class(status) is cls, status
    with pytest.raises(ValueError):
        _cmz._error_class(0)
