"""The bindings under cmz.open and the application's API: FrameReader, compress_stream,
verify/salvage/repair, crc32c, hw_list/hw_best, and the policy calls' errors."""

import io
import random

import pytest

import cmz


def data_of(size, seed=5):
    rng = random.Random(seed)
    return b"".join(b"%d:%s;" % (i, rng.choice([b"alpha", b"beta", b"gamma", b"delta"]) * 3)
                    for i in range(size // 10))[:size]


DATA = data_of(300_000)


def test_frame_reader_buffer_and_fd(tmp_path):
    frame = cmz.compress(DATA, chunk_size=8192)
    r = cmz.FrameReader(frame, threads=2)
    assert r.content_size == len(DATA) and r.frame_size == len(frame)
    assert r.info["chunk_size"] == 8192 and r.info["algorithm"] == cmz.default_codec()
    assert r.read(1000, 50_000) == DATA[1000:51_000]
    assert r.read(len(DATA) - 5, 100) == DATA[-5:]
    assert r.read(len(DATA) + 5, 10) == b""
    buf = bytearray(777)
    assert r.readinto(123_456, buf) == 777 and bytes(buf) == DATA[123_456:124_233]
    r.close()
    with pytest.raises(ValueError, match="closed"):
        r.read(0, 1)
    path = tmp_path / "f.cmz"
    path.write_bytes(frame + cmz.compress(b"tail"))
    with open(path, "rb") as f:
        last = cmz.FrameReader(f.fileno())
        assert last.read(0, 10) == b"tail"
        first = cmz.FrameReader(f.fileno(), end=len(frame))
        assert first.read(0, len(DATA)) == DATA
        with pytest.raises(ValueError):
            cmz.FrameReader(f.fileno(), end=10**9)
    with pytest.raises(TypeError):
        cmz.FrameReader("not a buffer")
    with pytest.raises(cmz.NotAFrameError):
        cmz.FrameReader(b"x" * 200)
    with pytest.raises(cmz.Error):
        cmz.FrameReader(frame[:-1])


def test_compress_stream_callables():
    src, out = io.BytesIO(DATA), io.BytesIO()
    info = cmz.compress_stream(src.readinto, out.write, algorithm="lz4", chunk_size=4096,
                               threads=2)
    assert info["content_size"] == len(DATA) and info["algorithm"] == "lz4"
    assert info["frame_size"] == len(out.getvalue())
    assert cmz.decompress(out.getvalue()) == DATA

    kept = []

    def keeps_view(view):
        kept.append(view)
        return 0

    cmz.compress_stream(keeps_view, io.BytesIO().write)
    with pytest.raises(ValueError):  # released once the call returned
        kept[0][0]

    def fails(view):
        raise KeyError("from readinto")

    with pytest.raises(KeyError, match="from readinto"):
        cmz.compress_stream(fails, io.BytesIO().write)
    with pytest.raises(ValueError, match="readinto returned"):
        cmz.compress_stream(lambda view: len(view) + 1, io.BytesIO().write)
    with pytest.raises(cmz.UnknownCodecError):
        cmz.compress_stream(io.BytesIO().readinto, io.BytesIO().write, algorithm="nope")


def test_verify_salvage_repair():
    frame = cmz.compress(DATA, chunk_size=8192, parity=(4, 1))
    _, report = cmz.verify(frame)
    assert report["intact"] and report["has_parity"] and report["lost_ranges"] == []
    assert report["chunk_count"] == -(-len(DATA) // 8192)
    broken = bytearray(frame)
    broken[len(frame) // 2] ^= 1
    broken = bytes(broken)
    _, report = cmz.verify(broken)
    assert not report["intact"] and report["damaged"] == 1 and report["repairable"] == 1
    (chunk,) = report["lost_chunks"]
    assert chunk["state"] == "damaged" and chunk["message"]
    start = chunk["content_offset"]
    assert report["lost_ranges"] == [(start, start + chunk["raw_size"])]
    salvaged, _ = cmz.salvage(broken)
    assert salvaged[:start] == DATA[:start]
    assert salvaged[start:start + chunk["raw_size"]] == bytes(chunk["raw_size"])
    repaired, report = cmz.repair(broken)
    assert repaired == frame and report["repaired"] == 1
    data, repaired_chunks = cmz._cmz.safe_decompress(broken)
    assert data == DATA and repaired_chunks == 1
    with pytest.raises(cmz.TruncatedError):
        cmz.verify(b"abc")


def test_repair_file_and_check_parity(tmp_path):
    frame = cmz.compress(DATA, chunk_size=8192, parity=(4, 1))
    cmz.check_parity(frame)
    path = tmp_path / "r.cmz"
    path.write_bytes(frame)
    rewritten, report = cmz.repair_file(path)
    assert not rewritten and report["intact"]
    broken = bytearray(frame)
    broken[len(frame) // 2] ^= 1
    path.write_bytes(broken)
    with pytest.raises(cmz.CorruptError):
        cmz.check_parity(bytes(broken))
    rewritten, report = cmz.repair_file(str(path))
    assert rewritten and report["repaired"] == 1
    assert path.read_bytes() == frame
    with pytest.raises(cmz.FileError, match="missing.cmz"):
        cmz.repair_file(tmp_path / "missing.cmz")


def test_repair_beyond_parity_reports():
    frame = cmz.compress(DATA, chunk_size=8192, parity=(4, 1))

    def chunk_hit(pos):
        b = bytearray(frame)
        b[pos] ^= 1
        lost = cmz.verify(bytes(b))[1]["lost_chunks"]
        return lost[0]["number"] if lost else None

    by_chunk = {}
    for pos in range(len(frame) // 4, len(frame) // 2, 97):
        by_chunk.setdefault(chunk_hit(pos), pos)
    a, b = next((a, b) for a in by_chunk for b in by_chunk
                if a is not None and b is not None and a < b and a // 4 == b // 4)
    broken = bytearray(frame)
    for chunk in (a, b):  # two chunks of one group of 4 with 1 parity chunk
        broken[by_chunk[chunk]] ^= 1
    out, report = cmz.repair(bytes(broken))
    assert out is None and [c["number"] for c in report["lost_chunks"]] == [a, b]
    assert not any(c["repaired"] for c in report["lost_chunks"])


def test_crc32c():
    assert cmz.crc32c(b"123456789") == 0xE3069283
    assert cmz.crc32c(b"6789", cmz.crc32c(b"12345")) == 0xE3069283
    assert cmz.crc32c(DATA) == cmz.crc32c(memoryview(DATA)[100:], cmz.crc32c(DATA[:100]))


def test_hw(monkeypatch):
    monkeypatch.delenv("CMZ_BACKEND", raising=False)
    backends = cmz.hw_list()
    assert [b["backend"] for b in backends] == ["cpu", "cuda", "qat"]
    assert backends[0]["present"] and backends[0]["units"] >= 1
    choice = cmz.hw_best(algorithm="lz4", level=1, size=1 << 20)
    assert choice["backend"] == "cpu" and choice["level"] == 1 and choice["reason"]
    # no algorithm: the build's default codec at its default level, resolved
    default = cmz.hw_best()
    assert default["algorithm"] == cmz.default_codec()
    assert default["level"] == cmz.info(cmz.compress(b"x"))["level"]
    with pytest.raises(ValueError):
        cmz.hw_best(backend="tpu")
    with pytest.raises(cmz.ArgumentError):
        cmz.hw_best(algorithm=cmz.default_codec(), level=99)


def test_policy_bindings(tmp_path):
    path = tmp_path / "p.yaml"
    with pytest.raises(cmz.PolicyError, match="p.yaml"):
        cmz._cmz.policy_types(config=str(path))  # a file named on purpose must exist
    cmz._cmz.policy_change("create", "x_type", {"algorithm": "lz4"}, config=str(path))
    assert cmz._cmz.policy_types(config=str(path))[-2:] == ["x_type", "default"]
    with pytest.raises(cmz.PolicyError) as exc:
        cmz._cmz.policy_change("update", "x_type", {"algorithm": "zsdt"}, config=str(path))
    assert "did you mean" in str(exc.value) and exc.value.file is None
    with pytest.raises(ValueError):
        cmz._cmz.policy_change("rename", "x_type")
    with pytest.raises(TypeError):
        cmz._cmz.policy_change("update", "x_type", {"level": 3})


def test_no_leaks_over_many_calls(tmp_path):
    import gc
    import tracemalloc

    frame = cmz.compress(DATA[:50_000], chunk_size=4096, parity=(4, 1))
    broken = bytearray(frame)
    broken[len(frame) // 2] ^= 1
    broken = bytes(broken)
    policy = tmp_path / "p.yaml"
    cmz.create_policy("t", config=policy, algorithm="lz4")
    bad = tmp_path / "bad.yaml"
    bad.write_text("compression_policy:\n  x: 1\n")

    def once():
        cmz.verify(broken)
        cmz.salvage(broken)
        cmz.repair(broken)
        cmz.safe_decompress(broken)
        reader = cmz.FrameReader(frame)
        reader.read(100, 5000)
        reader.close()
        cmz.compress_stream(io.BytesIO(DATA[:20_000]).readinto, io.BytesIO().write)
        with pytest.raises(ZeroDivisionError):
            cmz.compress_stream(lambda view: 1 / 0, io.BytesIO().write)
        cmz.get_resource_policy("t", config=policy)
        with pytest.raises(cmz.PolicyError):
            cmz.verify_policy(bad)
        with pytest.raises(cmz.NotAFrameError):
            cmz.FrameReader(b"x" * 100)
        cmz.hw_list()
        with cmz.open(io.BytesIO(frame)) as f:
            f.read()

    for _ in range(20):
        once()
    gc.collect()
    objects = len(gc.get_objects())
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(200):
            once()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(gc.get_objects()) - objects <= 10
    assert grown < 64 * 1024


def test_argument_checks():
    frame = cmz.compress(DATA)
    for call in (lambda: cmz.verify(frame, threads=-1),
                 lambda: cmz.FrameReader(frame, threads=-1),
                 lambda: cmz._cmz.safe_decompress(frame, threads=2000)):
        with pytest.raises(ValueError, match="threads"):
            call()
    with pytest.raises(ValueError, match="chunk_size"):
        cmz._cmz.safe_compress(b"x", chunk_size=-5)
    with pytest.raises(ValueError, match="parity"):
        cmz.compress_stream(io.BytesIO().readinto, io.BytesIO().write, parity=(0, 1))
    with pytest.raises(TypeError):
        cmz.verify(frame, threads="2")
