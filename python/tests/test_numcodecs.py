"""cmz.numcodecs.Cmz: the numcodecs codec (issue 24, item 4): round trips over dtypes, the
settings it picks, its JSON configuration, the numcodecs registry and entry point, decoding
into out, and cmz importing without numcodecs."""

import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import tomllib

import pytest

import cmz

np = pytest.importorskip("numpy", reason="numpy is missing (python3-numpy)")
numcodecs = pytest.importorskip("numcodecs", reason="numcodecs is missing (python3-numcodecs)")

from cmz.numcodecs import Cmz  # noqa: E402  (after the skips)

PYPROJECT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pyproject.toml")
_have = set(cmz.codecs())
needs_zstd = pytest.mark.skipif("zstd" not in _have, reason="this build has no zstd, the "
                                "default codec whose settings the test checks")


def arrays():
    """One array per kind of data a Zarr chunk holds (deterministic)."""
    rng = np.random.default_rng(5)
    n = 40_001  # odd: a tail that is no whole element of any filter
    smooth = np.cumsum(rng.normal(size=n)).astype(np.float64)
    out = {
        "float16": smooth.astype(np.float16),
        "float32": (smooth * 0.01).astype(np.float32),
        "float64": smooth,
        "int8": rng.integers(-5, 5, n, dtype=np.int8),
        "int16": rng.integers(-300, 300, n, dtype=np.int16),
        "int32": np.arange(n, dtype=np.int32) * 7,
        "int64": rng.integers(0, 1000, n, dtype=np.int64),
        "uint16": rng.integers(0, 60_000, n, dtype=np.uint16),
        "uint64": np.arange(n, dtype=np.uint64) << np.uint64(20),
        "bool": rng.random(n) < 0.1,
        "complex64": (smooth[:n] + 1j * smooth[::-1]).astype(np.complex64),
        "datetime64": np.datetime64("2026-01-01") + np.arange(n).astype("timedelta64[s]"),
        "bytes": np.array([b"ab%d" % (i % 97) for i in range(4000)], dtype="S5"),
        "unicode": np.array(["x%d" % (i % 31) for i in range(4000)], dtype="U4"),
        "record": np.array([(i, i * 0.5) for i in range(3000)], dtype=[("a", "<i2"), ("b", "<f4")]),
        "2d": smooth[:40_000].astype(np.float32).reshape(200, 200),
        "empty": np.zeros(0, dtype=np.float32),
        "one": np.ones(1, dtype=np.float32),
    }
    return out


ARRAYS = arrays()


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_default_round_trip_every_dtype(name):
    a = ARRAYS[name]
    c = Cmz()
    frame = c.encode(a)
    assert cmz.info(frame)["content_size"] == a.nbytes
    back = np.frombuffer(c.decode(frame), dtype=a.dtype).reshape(a.shape)
    assert np.array_equal(back, a)
    # a frame like any other: the core decodes it with no knowledge of the codec
    assert cmz.decompress(frame) == a.tobytes()


@pytest.mark.parametrize("settings", [
    {"algorithm": "zstd", "level": 5},
    {"algorithm": "lz4"},
    {"algorithm": "rans", "filter": "planes"},
    {"algorithm": "planes"},
    {"algorithm": "zstd", "filter": "bitshuffle"},
    {"algorithm": "zstd", "filter": "delta"},
    {"algorithm": "zstd", "filter": "auto"},
    {"algorithm": "zstd", "filter": "none"},
    {"filter": "shuffle", "typesize": 2},
    {"algorithm": "none", "chunk_size": 4096, "threads": 2},
])
@pytest.mark.parametrize("name", ["float32", "int64", "float16", "bytes", "2d"])
def test_explicit_settings_round_trip(settings, name):
    if settings.get("algorithm", cmz.default_codec()) not in _have:
        pytest.skip(f"codec {settings['algorithm']} is not in this build")
    a = ARRAYS[name]
    c = Cmz(**settings)
    if a.itemsize not in (2, 4, 8) and settings.get("filter") in ("planes", "bitshuffle", "delta") \
            and "typesize" not in settings:
        with pytest.raises(ValueError, match="typesize 1 is not valid"):
            c.encode(a)  # a typed filter on bytes needs typesize=
        return
    frame = c.encode(a)
    assert np.array_equal(np.frombuffer(c.decode(frame), a.dtype).reshape(a.shape), a)


def frame_settings(codec, name):
    info = cmz.info(codec.encode(ARRAYS[name]))
    return info["algorithm"], info["level"], info["filter"], info["typesize"]


@needs_zstd
def test_defaults_by_dtype():
    """zstd level 1; planes for floats (complex: its float parts), shuffle for other
    elements of 2, 4 or 8 bytes, nothing for the rest; the typesize from the dtype."""
    c = Cmz()
    assert frame_settings(c, "float16") == ("zstd", 1, "planes", 2)
    assert frame_settings(c, "float32") == ("zstd", 1, "planes", 4)
    assert frame_settings(c, "2d") == ("zstd", 1, "planes", 4)
    assert frame_settings(c, "float64") == ("zstd", 1, "planes", 8)
    assert frame_settings(c, "complex64") == ("zstd", 1, "planes", 4)
    assert frame_settings(c, "int32") == ("zstd", 1, "shuffle", 4)
    assert frame_settings(c, "uint16") == ("zstd", 1, "shuffle", 2)
    assert frame_settings(c, "unicode") == ("zstd", 1, "shuffle", 4)
    assert frame_settings(c, "int8") == ("zstd", 1, "none", 1)
    assert frame_settings(c, "bytes") == ("zstd", 1, "none", 1)
    assert frame_settings(c, "record") == ("zstd", 1, "none", 1)  # 6-byte records


@needs_zstd
def test_explicit_settings_win():
    if "rans" in _have:
        rans_level = cmz.Compressor(algorithm="rans").params["level"]
        assert frame_settings(Cmz(algorithm="rans"), "float32") == (
            "rans", rans_level, "planes", 4)
    assert frame_settings(Cmz(level=3), "float32") == ("zstd", 3, "planes", 4)
    assert frame_settings(Cmz(filter="none"), "float32") == ("zstd", 1, "none", 1)
    assert frame_settings(Cmz(filter="shuffle", typesize=2), "float32") == (
        "zstd", 1, "shuffle", 2)
    assert frame_settings(Cmz(filter="bitshuffle"), "int64")[2:] == ("bitshuffle", 8)
    if "planes" in _have:  # the planes codec cuts planes itself: no filter before it
        assert frame_settings(Cmz(algorithm="planes"), "float32")[2:] == ("none", 4)
    # chunk_size reaches the frame
    info = cmz.info(Cmz(chunk_size=4096).encode(ARRAYS["float32"]))
    assert info["chunk_size"] == 4096 and info["chunk_count"] > 1


def test_float32_default_beats_plain_zstd():
    a = (np.cumsum(np.random.default_rng(9).normal(size=1 << 18)) * 1e-3).astype(np.float32)
    assert len(Cmz().encode(a)) < len(Cmz(filter="none").encode(a))


def test_any_buffer_is_taken():
    a = ARRAYS["int32"]
    c = Cmz()
    want = c.decode(c.encode(a))
    for buf in (a.tobytes(), bytearray(a.tobytes()), memoryview(a.tobytes())):
        assert c.decode(c.encode(buf)) == want
    with pytest.raises(ValueError):  # numcodecs refuses a non-contiguous view
        c.encode(ARRAYS["2d"][:, ::2])


def test_config_round_trips_through_json():
    for c in (Cmz(), Cmz(algorithm="lz4", level=2, filter="bitshuffle", typesize=4, threads=2,
                         chunk_size=1 << 16)):
        config = c.get_config()
        assert config["id"] == "cmz"
        text = json.dumps(config)
        back = numcodecs.get_codec(json.loads(text))
        assert isinstance(back, Cmz) and back == c and back.get_config() == config
        a = ARRAYS["float32"]
        assert back.encode(a) == c.encode(a)
    assert repr(Cmz(algorithm="lz4")).startswith("Cmz(algorithm='lz4'")
    # NumPy integers are integers; the configuration holds plain ints
    c = Cmz(level=np.int64(2), threads=np.int32(1))
    assert json.dumps(c.get_config()) and type(c.level) is int


def test_registry_lookup():
    c = numcodecs.get_codec({"id": "cmz", "threads": 2})
    # no algorithm: zstd, or the build's default codec where it has no zstd
    assert isinstance(c, Cmz) and (c.algorithm, c.threads) == (cmz.default_codec(), 2)
    assert numcodecs.registry.codec_registry["cmz"] is Cmz


def test_pickle_leaves_the_per_thread_objects_behind():
    c = Cmz(level=2)
    frame = c.encode(ARRAYS["int16"])  # builds a Compressor in this thread
    back = pickle.loads(pickle.dumps(c))
    assert back == c and back.encode(ARRAYS["int16"]) == frame


def test_decode_into_out_writes_in_place():
    c = Cmz()
    for name in ("float32", "int64", "2d", "record", "empty"):
        a = ARRAYS[name]
        frame = c.encode(a)
        out = np.empty_like(a)
        got = c.decode(frame, out=out)
        assert got is out and np.array_equal(out, a), name
    a = ARRAYS["2d"]
    out = np.empty(a.shape, a.dtype, order="F")  # Zarr's order="F" chunks
    c.decode(c.encode(np.asfortranarray(a)), out=out)
    assert np.array_equal(out, a)
    raw = bytearray(a.nbytes)
    assert c.decode(c.encode(a), out=raw) is raw and bytes(raw) == a.tobytes()


def test_decode_into_out_of_the_wrong_size():
    c = Cmz()
    frame = c.encode(ARRAYS["float32"])
    n = ARRAYS["float32"].size
    for size in (n - 1, n + 1):
        with pytest.raises(ValueError, match="holds"):
            c.decode(frame, out=np.empty(size, np.float32))


def test_not_a_frame():
    with pytest.raises(cmz.CorruptError):
        Cmz().decode(b"definitely not a cmz frame, only text")


@pytest.mark.parametrize("kwargs, error, text", [
    ({"algorithm": "zst"}, ValueError, "unknown algorithm 'zst'"),
    ({"filter": "plane"}, ValueError, "unknown filter 'plane'"),
    ({"algorithm": 3}, TypeError, "algorithm must be a string"),
    ({"algorithm": None}, ValueError, "algorithm must be a codec name"),
    ({"level": "3"}, TypeError, "level must be an integer"),
    ({"typesize": 0}, ValueError, "typesize must be >= 1"),
    ({"threads": -1}, ValueError, "threads must be >= 0"),
    ({"threads": None}, ValueError, "threads"),
    ({"chunk_size": True}, TypeError, "chunk_size must be an integer"),
    ({"algorithm": cmz.default_codec(), "level": 99}, ValueError, ""),
])
def test_bad_settings_fail_at_construction(kwargs, error, text):
    with pytest.raises(error, match=text):
        Cmz(**kwargs)


def test_a_filter_that_does_not_fit_the_data_says_so():
    with pytest.raises(ValueError, match="typesize"):
        Cmz(filter="shuffle").encode(ARRAYS["bytes"])


def test_threads_share_one_codec():
    """Dask runs chunks of one array on several threads with one codec object."""
    c = Cmz()
    data = [ARRAYS[n] for n in ("float32", "int64", "float16", "bytes")] * 4
    want = [c.encode(a) for a in data]
    got = [None] * len(data)

    def work(i):
        got[i] = c.decode(c.encode(data[i]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(data))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [c.decode(f) for f in want]


def _run(code, env=None):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=60)


def test_entry_point_finds_the_codec(tmp_path):
    """An installed cmz declares the codec under numcodecs.codecs: numcodecs loads it with no
    import of cmz.numcodecs. The build tree has no installed metadata, so the test writes
    the dist-info pip would write, from pyproject.toml's own entry point."""
    with open(PYPROJECT, "rb") as f:
        eps = tomllib.load(f)["project"]["entry-points"]["numcodecs.codecs"]
    assert eps == {"cmz": "cmz.numcodecs:Cmz"}
    info = tmp_path / "cmz-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cmz\nVersion: 0\n")
    (info / "entry_points.txt").write_text(
        "[numcodecs.codecs]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path), os.path.dirname(os.path.dirname(cmz.__file__))]))
    r = _run("""
        import sys, numcodecs
        assert "cmz.numcodecs" not in sys.modules
        c = numcodecs.get_codec({"id": "cmz", "algorithm": "lz4"})
        assert type(c).__module__ == "cmz.numcodecs", type(c)
        print("ok", c)
    """, env)
    assert r.returncode == 0 and "ok Cmz(" in r.stdout, r.stderr


def test_cmz_imports_without_numcodecs():
    """import cmz needs none of numcodecs, zarr, dask; cmz.numcodecs says what is missing."""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(cmz.__file__)))
    r = _run("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("numcodecs", "zarr", "dask", "distributed"):
                    raise ImportError(f"No module named {name!r} (blocked)")
        sys.meta_path.insert(0, Block())
        import cmz
        assert cmz.decompress(cmz.compress(b"abc" * 1000)) == b"abc" * 1000
        assert not any(m.split(".")[0] in ("numcodecs", "zarr", "dask") for m in sys.modules)
        try:
            import cmz.numcodecs
        except ImportError as e:
            print("refused:", e)
    """, env)
    assert r.returncode == 0, r.stderr
    assert "refused:" in r.stdout and "python3-numcodecs" in r.stdout, r.stdout
