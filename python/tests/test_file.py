"""cmz.open: streaming writes, random-access reads, file objects, errors."""

import io
import random
import shutil
import threading

import pytest

import cmz


def mixed(size, seed=7):
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        out += f"record {rng.randrange(10**6)} value {rng.random():.6f}\n".encode()
        out += rng.randbytes(rng.randrange(64))
    return bytes(out[:size])


DATA = mixed(700_000)


def test_roundtrip_shutil(tmp_path):
    src = tmp_path / "raw"
    src.write_bytes(DATA)
    path = tmp_path / "a.cmz"
    with open(src, "rb") as fin, cmz.open(path, "wb", chunk_size=64 * 1024, threads=2) as f:
        shutil.copyfileobj(fin, f, length=10_000)
        assert f.tell() == len(DATA) and f.writable() and not f.seekable()
    assert cmz.decompress(path.read_bytes()) == DATA  # one ordinary frame
    assert cmz.info(path.read_bytes())["chunk_size"] == 64 * 1024
    out = io.BytesIO()
    with cmz.open(str(path)) as f:
        assert isinstance(f, io.BufferedIOBase) and f.readable() and f.seekable()
        shutil.copyfileobj(f, out)
    assert out.getvalue() == DATA


def test_random_seeks_match_the_data(tmp_path):
    path = tmp_path / "b.cmz"
    path.write_bytes(cmz.compress(DATA, chunk_size=16 * 1024))
    rng = random.Random(3)
    with cmz.open(path) as f:
        assert f.seek(0, io.SEEK_END) == len(DATA) == f.size
        for _ in range(200):
            pos = rng.randrange(len(DATA) + 100)
            n = rng.randrange(50_000)
            assert f.seek(pos) == pos
            assert f.read(n) == DATA[pos:pos + n]
            assert f.tell() == min(pos + n, len(DATA)) if pos <= len(DATA) else pos
        f.seek(-10, io.SEEK_END)
        assert f.read() == DATA[-10:]
        f.seek(5)
        f.seek(7, io.SEEK_CUR)
        assert f.read(3) == DATA[12:15]
        with pytest.raises(ValueError):
            f.seek(-1)


def test_readinto_numpy_and_lines(tmp_path):
    np = pytest.importorskip("numpy")
    arr = np.arange(100_000, dtype=np.float32)
    path = tmp_path / "c.cmz"
    with cmz.open(path, "xb", typesize=4, filter="shuffle") as f:
        f.write(arr)  # any buffer, numpy included
    with pytest.raises(FileExistsError):
        cmz.open(path, "xb")
    with cmz.open(path) as f:
        back = np.empty_like(arr)
        assert f.readinto(back) == arr.nbytes
        assert np.array_equal(back, arr)
        with pytest.raises(io.UnsupportedOperation, match="file descriptor"):
            f.fileno()
    lines = b"".join(b"line %d\n" % i for i in range(1000))
    with cmz.open(path, "wb") as f:
        f.write(lines)
    with cmz.open(path) as f:
        assert list(f) == lines.splitlines(keepends=True)


def test_file_objects_and_append(tmp_path):
    buf = io.BytesIO()
    with cmz.open(buf, "wb", algorithm="lz4") as f:
        f.write(DATA[:1000])
    assert not buf.closed  # a file object passed in stays open
    with cmz.open(io.BytesIO(buf.getvalue())) as f:
        assert f.read() == DATA[:1000]
    path = tmp_path / "d.cmz"
    with open(path, "wb") as raw, cmz.open(raw, "wb") as f:
        f.write(DATA[:5000])
    with cmz.open(path, "ab") as f:
        f.write(DATA[5000:9000])
    with cmz.open(path, "ab") as f:
        pass  # an empty frame
    with cmz.open(path, "ab") as f:
        f.write(DATA[9000:20000])
    with open(path, "rb") as raw, cmz.open(raw) as f:
        assert f.size == 20000
        assert f.read() == DATA[:20000]
        f.seek(4990)
        assert f.read(4020) == DATA[4990:9010]  # across three frames


def test_empty_file(tmp_path):
    path = tmp_path / "e.cmz"
    with cmz.open(path, "wb"):
        pass
    assert cmz.decompress(path.read_bytes()) == b""
    with cmz.open(path) as f:
        assert f.read() == b""


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        cmz.open(tmp_path / "x", "rt")
    with pytest.raises(ValueError, match="writing only"):
        cmz.open(tmp_path / "x", "rb", level=3)
    with pytest.raises(FileNotFoundError):
        cmz.open(tmp_path / "missing.cmz")
    garbage = tmp_path / "g.cmz"
    garbage.write_bytes(b"not a frame at all" * 10)
    with pytest.raises(cmz.Error):
        cmz.open(garbage)
    path = tmp_path / "h.cmz"
    path.write_bytes(cmz.compress(DATA, chunk_size=16 * 1024))
    b = bytearray(path.read_bytes())
    b[len(b) // 2] ^= 0xFF  # a chunk's payload: found when that chunk is read
    path.write_bytes(b)
    with cmz.open(path) as f:
        assert f.read(100) == DATA[:100]
        with pytest.raises(cmz.CorruptError) as exc:
            f.read()
        assert exc.value.chunk is not None
    with pytest.raises(cmz.UnknownCodecError):
        cmz.open(tmp_path / "i.cmz", "wb", algorithm="nope")
    with pytest.raises(cmz.ArgumentError):
        cmz.open(tmp_path / "i.cmz", "wb", algorithm=cmz.default_codec(), level=99)
    assert not (tmp_path / "i.cmz").exists()  # refused before the file was created
    with pytest.raises(TypeError, match="binary file object"):
        cmz.open(42)
    with cmz.open(tmp_path / "j.cmz", "wb") as f:
        with pytest.raises(io.UnsupportedOperation):
            f.read()
    with pytest.raises(ValueError):
        f.write(b"closed")


def test_write_error_of_the_target_is_raised():
    class Full(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            raise OSError(28, "No space left on device")

    f = cmz.open(Full(), "wb", chunk_size=16 * 1024)
    with pytest.raises(OSError, match="No space"):
        for _ in range(100):
            f.write(DATA[:100_000])
        f.close()


def test_two_readers_in_threads(tmp_path):
    path = tmp_path / "k.cmz"
    path.write_bytes(cmz.compress(DATA, chunk_size=16 * 1024))
    errors = []
    with cmz.open(path) as shared:
        lock = threading.Lock()

        def work(seed):
            rng = random.Random(seed)
            for _ in range(50):
                pos = rng.randrange(len(DATA))
                with lock:  # a file object's position is shared state
                    shared.seek(pos)
                    got = shared.read(1000)
                if got != DATA[pos:pos + 1000]:
                    errors.append(pos)

        threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
