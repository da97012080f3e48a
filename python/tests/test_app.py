"""The application's API (cmz.app): its documented calls exactly as it writes them, and the
metadata, parity repair, salvage and policy functions behind them."""

import random

import pytest

import cmz
from cmz import (
    CPUCompressor,
    benchmark_hardware,
    compress_chunked,
    compress_data,
    decompress_chunked,
    decompress_data,
    get_best_hardware,
    get_resource_policy,
    safe_compress,
    safe_decompress,
)

from conftest import needs_zstd


def text_data(size, seed=1):
    """Compressible, not trivial: words drawn from a small vocabulary."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(500)]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words) + b" "
    return bytes(out[:size])


DATA = text_data(1 << 20)


@pytest.fixture
def data():
    return DATA


@pytest.fixture
def no_policy_file(tmp_path, monkeypatch):
    """The built-in policy: no $CMZ_CONFIG, no ./configs, an empty user folder."""
    monkeypatch.delenv("CMZ_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


# ---- the application's examples, as its specification writes them ----


@needs_zstd
def test_documented_calls_naming_zstd(data):
    compressed, metadata = compress_data(data, algorithm="zstd")
    assert decompress_data(compressed, metadata) == data
    compressed, metadata = get_best_hardware(algorithm="zstd", level=3).compress(data)
    assert metadata["algorithm"] == "zstd" and metadata["level"] == 3


def test_documented_calls(data, no_policy_file):
    compressed, metadata = compress_data(data)
    assert decompress_data(compressed, metadata) == data
    blob = compress_chunked(data, chunk_size=4 * 1024 * 1024)
    assert decompress_chunked(blob) == data
    blob, metadata = safe_compress(data)
    assert safe_decompress(blob) == data
    compressed, metadata = get_best_hardware().compress(data)
    assert get_best_hardware().decompress(compressed, metadata) == data
    speeds = benchmark_hardware(data_size=1 << 20, iterations=1)
    assert speeds["cpu"]["compression_speed"] > 0
    assert speeds["cpu"]["decompression_speed"] > 0
    policy = get_resource_policy("model_weights")
    assert policy["type"] == "model_weights" and policy["listed"]
    compressor = CPUCompressor(algo="lz4", level=1)
    compressed, metadata = compressor.compress(data)
    assert compressor.decompress(compressed, metadata) == data
    np = pytest.importorskip("numpy")
    arr = np.linspace(0, 1, 10_000, dtype=np.float32).reshape(100, 100)
    compressed, metadata = compressor.compress(arr)
    assert np.array_equal(compressor.decompress(compressed, metadata), arr)


def test_default_algorithm_is_the_builds(data):
    """No algorithm: zstd where the build has it, else its default codec; a codec named
    explicitly that the build lacks stays an error."""
    want = "zstd" if "zstd" in cmz.codecs() else cmz.default_codec()
    assert cmz.DEFAULT_ALGORITHM == cmz.default_codec() == want
    for call in (lambda: compress_data(data), lambda: safe_compress(data),
                 lambda: CPUCompressor().compress(data),
                 lambda: get_best_hardware().compress(data)):
        assert call()[1]["algorithm"] == want
    assert cmz.info(compress_chunked(data))["algorithm"] == want
    assert list(benchmark_hardware(data_size=1 << 16, iterations=1)) == ["cpu"]
    if "zstd" not in cmz.codecs():
        for call in (lambda: compress_data(data, algorithm="zstd"),
                     lambda: CPUCompressor(algo="zstd"), lambda: get_best_hardware("zstd")):
            with pytest.raises(cmz.UnknownCodecError):
                call()


def test_metadata_keys(data):
    compressed, meta = compress_data(data, algorithm="lz4", level=1)
    for key in ("algorithm", "level", "original_size", "compressed_size", "ratio",
                "compression_time", "checksum", "backend", "data_type"):
        assert key in meta
    assert meta["algorithm"] == "lz4" and meta["level"] == 1
    assert meta["original_size"] == len(data)
    assert meta["compressed_size"] == len(compressed)
    assert meta["ratio"] == pytest.approx(len(data) / len(compressed))
    assert meta["checksum"] == f"crc32c:{cmz.crc32c(data):08x}"
    assert cmz.decompress(compressed) == data  # a plain frame: no metadata needed


def test_kinds_come_back(data):
    np = pytest.importorskip("numpy")
    arr = np.arange(3 * 5 * 7, dtype=np.float32).reshape(3, 5, 7)
    for obj in (data, bytearray(data[:100]), "subtitles: 字幕 ✓", {"a": [1, 2.5, None]}, arr,
                arr[:, ::2]):
        compressed, meta = compress_data(obj)
        back = decompress_data(compressed, meta)
        if isinstance(obj, np.ndarray):
            assert back.dtype == obj.dtype and back.shape == obj.shape
            assert np.array_equal(back, obj) and back.flags.writeable
        else:
            assert back == obj


def test_array_metadata_mismatch_is_an_error():
    np = pytest.importorskip("numpy")
    arr = np.arange(1000, dtype=np.int32)
    compressed, meta = compress_data(arr)
    with pytest.raises(cmz.CorruptError, match="metadata's array"):
        decompress_data(compressed, dict(meta, shape=[999]))
    other, _ = compress_data(arr[::-1].copy())
    with pytest.raises(cmz.CorruptError, match="checksum"):
        decompress_data(other, meta)


def test_metadata_mismatch_is_an_error(data):
    compressed, meta = compress_data(data)
    other, _ = compress_data(data[:-1] + b"!")
    with pytest.raises(cmz.CorruptError, match="checksum"):
        decompress_data(other, meta)
    with pytest.raises(cmz.CorruptError, match="metadata says"):
        decompress_data(compressed, dict(meta, original_size=5))


def test_chunked_chunk_size(data):
    blob = compress_chunked(data, algorithm="lz4", chunk_size=64 * 1024)
    info = cmz.info(blob)
    assert info["chunk_size"] == 64 * 1024
    assert decompress_chunked(blob) == data
    assert cmz.read_range(blob, 300000, 10) == data[300000:300010]


# ---- safe_compress / safe_decompress ----


def damage(blob, positions):
    b = bytearray(blob)
    for p in positions:
        b[p] ^= 0xFF
    return bytes(b)


def test_safe_roundtrip_and_metadata(data):
    blob, meta = safe_compress(data)
    assert meta["parity"] == [16, 2]
    assert cmz.info(blob)["parity"] in ((16, 2), [16, 2])
    assert safe_decompress(blob) == data
    out, report = safe_decompress(blob, salvage=True)
    assert out == data and report["lost_ranges"] == [] and report["repaired"] == 0


def test_safe_decompress_repairs_from_parity(data):
    blob, meta = safe_compress(data)
    broken = damage(blob, [len(blob) // 3])
    with pytest.raises(cmz.CorruptError):
        cmz.decompress(broken)
    assert safe_decompress(broken) == data
    out, report = safe_decompress(broken, meta, salvage=True)
    assert out == data and report["repaired"] == 1


def test_safe_decompress_beyond_repair(data):
    blob, _ = safe_compress(data)
    # three chunks of one group (16 chunks of 64 KiB, 2 parity): more than parity rebuilds
    broken = damage(blob, [len(blob) * f // 100 for f in (20, 45, 70)])
    with pytest.raises(cmz.CorruptError, match=r"lost content byte ranges: \[") as exc:
        safe_decompress(broken)
    ranges = exc.value.lost_ranges
    assert len(ranges) == 3 and exc.value.status == "CMZ_ERR_CORRUPT"
    out, report = safe_decompress(broken, salvage=True)
    assert len(out) == len(data) and report["lost_ranges"] == ranges
    lost = 0
    for start, end in ranges:
        assert out[start:end] == bytes(end - start)
        lost += end - start
    assert report["lost_bytes"] == lost
    kept = bytearray(data)
    for start, end in ranges:
        kept[start:end] = bytes(end - start)
    assert out == bytes(kept)


def test_safe_small_data_parity_cost():
    small = text_data(40000, seed=3)
    blob, meta = safe_compress(small)
    assert safe_decompress(damage(blob, [len(blob) // 2])) == small
    plain, _ = compress_data(small)
    assert len(blob) < 3 * len(plain)  # 16 KiB chunks: parity 2 of at most 3 chunks


# ---- hardware ----


def test_best_hardware_and_benchmark(monkeypatch):
    monkeypatch.delenv("CMZ_BACKEND", raising=False)
    comp = get_best_hardware(algorithm="lz4", level=1)
    assert comp.backend == "cpu" and comp.reason
    monkeypatch.setenv("CMZ_BACKEND", "cuda")
    comp = get_best_hardware()
    assert comp.backend == "cpu" and "cuda" in comp.reason
    with pytest.raises(cmz.UnknownCodecError):
        get_best_hardware(algorithm="nope")
    with pytest.raises(ValueError):
        benchmark_hardware(data_size=0)


# ---- the policy file ----


def test_resource_policy_builtin(no_policy_file):
    p = get_resource_policy("model_weights")
    assert set(p) >= {"type", "algorithm", "level", "chunk_size", "auto_compress",
                      "threshold_mb", "priority", "filter", "typesize", "listed", "source"}
    assert p["source"] == "built-in"
    other = get_resource_policy("no_such_type")
    assert not other["listed"] and other["type"] == "default"


def test_policy_create_update_verify(no_policy_file):
    path = no_policy_file / "policy.yaml"
    # "none" is in every build; the default codec (zstd, lz4 or gzip) has a level 9
    r = cmz.create_policy("thumbnails", config=path, algorithm="none", level=0,
                          chunk_size="256KB", auto_compress=True, threshold_mb=2)
    assert r["new_file"] and r["path"] == str(path)
    p = get_resource_policy("thumbnails", config=path)
    assert (p["algorithm"], p["level"], p["chunk_size"], p["auto_compress"]) == (
        "none", 0, 256 * 1024, True)
    cmz.update_policy("thumbnails", config=path, algorithm=cmz.default_codec(), level=9)
    p = get_resource_policy("thumbnails", config=path)
    assert (p["algorithm"], p["level"]) == (cmz.default_codec(), 9)
    # the built-in types the new file lists may name codecs this build lacks: said, not fatal
    warnings = cmz.verify_policy(path)["warnings"]
    assert [w for w in warnings if "is not compiled into this build" not in w] == []
    before = path.read_text()
    with pytest.raises(cmz.PolicyError, match="level") as exc:
        cmz.update_policy("thumbnails", config=path, level=99)
    assert path.read_text() == before  # refused: unchanged
    assert exc.value.status == "CMZ_ERR_INVALID_ARG"
    with pytest.raises(cmz.PolicyError):
        cmz.create_policy("thumbnails", config=path)  # exists
    cmz.delete_policy("thumbnails", config=path)
    assert not get_resource_policy("thumbnails", config=path)["listed"]


def test_policy_error_position(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("compression_policy:\n  default:\n    algorithm: zstd\n    levle: 3\n")
    with pytest.raises(cmz.PolicyError) as exc:
        cmz.verify_policy(bad)
    e = exc.value
    assert e.file == str(bad) and (e.line, e.col) == (2, 3)  # the first: missing keys
    assert f"{bad}:4:5: unknown key 'levle'" in str(e)  # every error is in the text
    assert len(e.diagnostics) == 2
    with pytest.raises(cmz.PolicyError):
        get_resource_policy("default", config=bad)
