"""The application's own compression API, with the names and shapes its specification uses.

VisionAI-ClipsMaster documents its compression module as Python calls::

    compressed, metadata = compress_data(data, algorithm="zstd")
    data = decompress_data(compressed, metadata)
    blob = compress_chunked(data, chunk_size=4 * 1024 * 1024)
    data = decompress_chunked(blob)
    blob, metadata = safe_compress(data)
    data = safe_decompress(blob)
    compressor = get_best_hardware(algorithm="zstd", level=3)
    compressed, metadata = compressor.compress(data)
    speeds = benchmark_hardware(data_size=10 * 1024 * 1024, iterations=3)
    settings = get_resource_policy("model_weights")

Each is a thin function over the cmz core (cmz.compress, cmz.Compressor, ...), so these calls
run unchanged apart from ``from cmz import ...``. Every blob is a .cmz frame: it decodes with
``cmz.decompress`` or ``cmz -d`` with no metadata. docs/PYTHON.md describes each call.
"""

import os
import pickle
import sys
import threading
import time

from . import _cmz

__all__ = [
    "DEFAULT_ALGORITHM",
    "compress_data",
    "decompress_data",
    "compress_chunked",
    "decompress_chunked",
    "safe_compress",
    "safe_decompress",
    "get_resource_policy",
    "get_best_hardware",
    "CPUCompressor",
    "benchmark_hardware",
    "create_policy",
    "update_policy",
    "delete_policy",
    "verify_policy",
]

#: The codec of every call below that is not given one: "zstd" where this build has it, else
#: the build's default codec (cmz.default_codec(), as cmz.compress with algorithm=None), so
#: that the application's calls run in any build. A codec named explicitly that the build
#: lacks is still an UnknownCodecError: the caller asked for it.
DEFAULT_ALGORITHM = _cmz.default_codec()
#: compress_chunked's default chunk size (the application's 4 MiB).
DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024
#: safe_compress's parity: after every 16 data chunks, 2 Reed-Solomon parity chunks.
SAFE_PARITY = (16, 2)
_SAFE_MIN_CHUNK = 16 * 1024


def _as_buffer(data):
    """(buffer, kind): the bytes to compress and what to rebuild on the way back."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return data, {"data_type": "bytes"}
    if isinstance(data, str):
        return data.encode("utf-8"), {"data_type": "str"}
    np = _numpy_if_array(data)
    if np is not None:
        arr = np.ascontiguousarray(data)
        return arr, {"data_type": "ndarray", "dtype": arr.dtype.str, "shape": list(arr.shape)}
    try:
        return memoryview(data), {"data_type": "bytes"}
    except TypeError:
        pass
    return pickle.dumps(data, protocol=5), {"data_type": "pickle"}


def _numpy_if_array(obj):
    """numpy when obj is an array (a program holding one has imported it), else None."""
    numpy = sys.modules.get("numpy")
    return numpy if numpy is not None and isinstance(obj, numpy.ndarray) else None


def _restore(raw, metadata):
    kind = (metadata or {}).get("data_type", "bytes")
    if kind == "bytes":
        return raw
    if kind == "str":
        return raw.decode("utf-8")
    if kind == "ndarray":
        import numpy

        dtype = numpy.dtype(metadata["dtype"])
        return numpy.frombuffer(bytearray(raw), dtype=dtype).reshape(metadata["shape"])
    if kind == "pickle":
        return pickle.loads(raw)
    raise ValueError(f"metadata: unknown data_type {kind!r}")


def _corrupt(message):
    err = _cmz.CorruptError(message)
    err.status = "CMZ_ERR_CORRUPT"
    return err


def _metadata(buf, kind, frame, seconds, backend="cpu"):
    info = _cmz.info(frame)
    original = memoryview(buf).nbytes
    meta = {
        "algorithm": info["algorithm"],
        "level": info["level"],
        "original_size": original,
        "compressed_size": len(frame),
        "ratio": original / len(frame) if frame else 0.0,
        "compression_time": seconds,
        "checksum": f"crc32c:{_cmz.crc32c(buf):08x}",
        "backend": backend,
        "format": "cmz",
    }
    meta.update(kind)
    return meta


def _check(raw, metadata):
    """Raises CorruptError when raw is not what metadata describes."""
    if not metadata:
        return
    size = metadata.get("original_size")
    got = memoryview(raw).nbytes
    if size is not None and got != size:
        raise _corrupt(f"decompressed {got} bytes, metadata says {size}")
    checksum = metadata.get("checksum")
    if checksum and checksum.startswith("crc32c:"):
        got = f"crc32c:{_cmz.crc32c(raw):08x}"
        if got != checksum:
            raise _corrupt(f"checksum {got} of the decompressed data, metadata says {checksum}")


def compress_data(data, algorithm=DEFAULT_ALGORITHM, level=None, *, threads=0, **options):
    """Compresses data -> (bytes, metadata).

    data: any buffer (bytes, bytearray, memoryview, NumPy array — its dtype and shape are
    kept), a str (UTF-8), or another object (pickled). algorithm: a codec name ("zstd",
    "lz4", "gzip", ...; default DEFAULT_ALGORITHM: zstd, or the build's default codec where
    it has no zstd); level: None for the codec's default. Extra keyword options go to
    cmz.compress (chunk_size, filter, typesize, parity, type).

    metadata keys: algorithm, level (resolved), original_size, compressed_size, ratio
    (original / compressed), compression_time (seconds), checksum ("crc32c:%08x" of the
    original bytes), backend ("cpu"), format ("cmz"), data_type ("bytes", "str", "ndarray",
    "pickle"), and for arrays dtype and shape.
    """
    buf, kind = _as_buffer(data)
    start = time.perf_counter()
    frame = _cmz.compress(buf, algorithm=algorithm, level=level, threads=threads, **options)
    seconds = time.perf_counter() - start
    return frame, _metadata(buf, kind, frame, seconds)


def decompress_data(compressed, metadata=None, *, threads=0):
    """Decompresses what compress_data gave -> the original object.

    Without metadata the result is bytes. With it, the size and checksum are checked
    (CorruptError when they differ) and the original kind comes back: str, a NumPy array
    of the same dtype and shape (writable), or the unpickled object — pass only metadata
    you trust, as for pickle.
    """
    if metadata and metadata.get("data_type") == "ndarray":
        return _decompress_array(
            compressed, metadata, lambda f, out: _cmz.decompress(f, out=out, threads=threads))
    raw = _cmz.decompress(compressed, threads=threads)
    _check(raw, metadata)
    return _restore(raw, metadata)


def _decompress_array(compressed, metadata, decode):
    """Decodes straight into a new array of the recorded dtype and shape (no copy);
    decode(frame, out) is cmz.decompress or a Decompressor's."""
    import numpy

    arr = numpy.empty(metadata["shape"], dtype=numpy.dtype(metadata["dtype"]))
    size = _cmz.info(compressed)["content_size"]
    if size != arr.nbytes:
        raise _corrupt(f"the frame holds {size} bytes, metadata's array {arr.nbytes}")
    decode(compressed, arr)
    _check(memoryview(arr).cast("B"), metadata)
    return arr


def compress_chunked(data, algorithm=DEFAULT_ALGORITHM, chunk_size=DEFAULT_CHUNK_SIZE,
                     level=None, *, threads=0):
    """Compresses data in independent chunks of chunk_size bytes -> bytes.

    The chunks are compressed on every core and each decodes on its own (cmz.read_range
    reads any byte range of the blob without the rest). The blob carries its parameters:
    decompress_chunked needs nothing else.
    """
    buf, _ = _as_buffer(data)
    return _cmz.compress(buf, algorithm=algorithm, level=level, chunk_size=chunk_size,
                         threads=threads)


def decompress_chunked(blob, *, threads=0):
    """Decompresses what compress_chunked gave -> bytes (chunks decoded in parallel)."""
    return _cmz.decompress(blob, threads=threads)


def _safe_chunk_size(size, k):
    """Chunks small enough that the data fills a parity group, so that parity costs about
    M/K of the frame even for small data, but never below 16 KiB (ratio)."""
    per_chunk = -(-size // k) if size else 0
    return max(_SAFE_MIN_CHUNK, min(per_chunk, DEFAULT_CHUNK_SIZE))


def safe_compress(data, algorithm=DEFAULT_ALGORITHM, level=None, *, parity=SAFE_PARITY,
                  threads=0):
    """Compresses with Reed-Solomon parity and checks the result -> (bytes, metadata).

    The frame is decoded again and compared with data, and its parity recomputed, before it
    is returned (CorruptError otherwise). parity=(K, M): after every K data chunks, M parity
    chunks, which rebuild up to M damaged chunks of each group (safe_decompress). Chunks are
    sized so that small data still fills a group (at least 16 KiB each). metadata: as
    compress_data's, plus parity ([K, M]) and chunk_size.
    """
    buf, kind = _as_buffer(data)
    size = memoryview(buf).nbytes
    k, m = parity
    chunk = _safe_chunk_size(size, k)
    start = time.perf_counter()
    frame = _cmz.safe_compress(buf, algorithm=algorithm, level=level, threads=threads,
                               chunk_size=chunk, parity=(k, m))
    seconds = time.perf_counter() - start
    meta = _metadata(buf, kind, frame, seconds)
    meta.update({"parity": [k, m], "chunk_size": chunk})
    return frame, meta


def safe_decompress(blob, metadata=None, *, salvage=False, threads=0):
    """Decompresses, repairing damage from parity; strict by default.

    An intact blob gives its data. A damaged one is repaired in memory from its parity
    (up to M chunks per group) and gives its data, bit-exact. When the damage is beyond
    repair: without salvage, CorruptError naming the lost content byte ranges (its
    .lost_ranges and .report hold them); with salvage=True, returns (data, report) where
    data has every surviving chunk at its offset and zeros in place of the lost ones, and
    report (a dict, as cmz.verify's) lists them in report["lost_ranges"]. With salvage=True
    an intact or repaired blob gives (data, report) too, with no lost ranges.
    metadata (optional, from safe_compress) restores the original kind, as decompress_data.
    """
    try:
        raw, repaired = _cmz.safe_decompress(blob, threads=threads)
    except (_cmz.CorruptError, _cmz.UnsupportedError) as decode_error:
        _, report = _cmz.salvage(blob, threads=threads)
        ranges = report["lost_ranges"]
        where = ", ".join(f"[{a}, {b})" for a, b in ranges) or "none found"
        message = (f"safe_decompress: damage beyond repair: {report['summary']}; "
                   f"lost content byte ranges: {where} ({decode_error})")
        if not salvage:
            err = _corrupt(message)
            err.chunk, err.offset = decode_error.chunk, decode_error.offset
            err.lost_ranges, err.report = ranges, report
            raise err from decode_error
        data, report = _cmz.salvage(blob, threads=threads)
        return data, report
    _check(raw, metadata)
    data = _restore(raw, metadata)
    if not salvage:
        return data
    _, report = _cmz.verify(blob, threads=threads)
    report["repaired"] = repaired
    report["lost_ranges"] = []
    return data, report


def get_resource_policy(resource_type, config=None):
    """The compression settings of a resource type, from the policy file -> dict.

    Keys: type, algorithm, level, chunk_size (bytes), auto_compress, threshold_mb, priority
    ("high", "medium", "low"), filter, typesize, listed (whether the policy names the type;
    otherwise `default` applies) and source (the file read, or "built-in"). The file is
    found as ``cmz policy`` finds it (config, $CMZ_CONFIG, ./configs/compression_layers.yaml,
    the user's file, the built-in defaults). PolicyError for a bad file.
    """
    return _cmz.policy_entry(resource_type, config=config)


def _settings(values):
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        out[key] = text
    return out


def create_policy(resource_type, *, config=None, **settings):
    """Adds a type to the policy file -> {"path", "new_file", "warnings"}.

    settings: the file's keys (algorithm, level, chunk_size, auto_compress, threshold_mb,
    priority, filter, typesize) with Python values or the file's text ("4MB"); unset keys
    take `default`'s values. The file is locked, loaded, changed and saved atomically, as
    ``cmz policy create`` does. PolicyError (file unchanged) for any refused value.
    """
    return _cmz.policy_change("create", resource_type, _settings(settings), config=config)


def update_policy(resource_type, *, config=None, **settings):
    """Changes keys of a type in the policy file, as ``cmz policy update`` -> dict."""
    if not settings:
        raise ValueError("update_policy needs at least one setting (algorithm=..., level=...)")
    return _cmz.policy_change("update", resource_type, _settings(settings), config=config)


def delete_policy(resource_type, *, config=None):
    """Removes a type from the policy file, as ``cmz policy delete`` -> dict."""
    return _cmz.policy_change("delete", resource_type, None, config=config)


def verify_policy(path=None, *, config=None):
    """Validates a policy file -> {"path", "warnings"}; PolicyError listing every problem
    (file:line:col) when it is not valid. path None: the policy get_resource_policy reads."""
    if path is not None:
        path = os.fspath(path)
    return _cmz.policy_verify(path, config=config)


class CPUCompressor:
    """A reusable compressor on the CPU with the application's interface.

    CPUCompressor(algo=DEFAULT_ALGORITHM, level=None, threads=0): .compress(data) -> (bytes,
    metadata) and .decompress(bytes, metadata=None) as compress_data/decompress_data, keeping its
    contexts and threads between calls. Calls from several threads are serialised.
    """

    backend = "cpu"

    def __init__(self, algo=DEFAULT_ALGORITHM, level=None, threads=0, **options):
        self.algorithm = algo
        self.level = level
        self.reason = "the cpu"
        self._compressor = _cmz.Compressor(algorithm=algo, level=level, threads=threads,
                                           **options)
        self._decompressor = _cmz.Decompressor(threads=threads)
        self._lock = threading.Lock()

    def compress(self, data):
        """-> (bytes, metadata) as compress_data's."""
        buf, kind = _as_buffer(data)
        with self._lock:
            start = time.perf_counter()
            frame = self._compressor.compress(buf)
            seconds = time.perf_counter() - start
        return frame, _metadata(buf, kind, frame, seconds, self.backend)

    def decompress(self, data, metadata=None):
        """-> the original object, as decompress_data's."""
        if metadata and metadata.get("data_type") == "ndarray":
            with self._lock:
                return _decompress_array(data, metadata, lambda f, out: (
                    self._decompressor.decompress(f, out=out)))
        with self._lock:
            raw = self._decompressor.decompress(data)
        _check(raw, metadata)
        return _restore(raw, metadata)

    def __repr__(self):
        return f"CPUCompressor(algo={self.algorithm!r}, level={self.level!r})"


def get_best_hardware(algorithm=DEFAULT_ALGORITHM, level=None, *, data_size=0, backend=None):
    """The compressor for this codec on the best backend present -> a compressor object.

    The choice is libcmz's (cmz_hw_best; CMZ_BACKEND=cpu|cuda|qat|auto overrides it): in this
    version host data is coded on the CPU, so the result is a CPUCompressor, whose .reason
    says why that backend was chosen. It has .compress(data) -> (bytes, metadata) and
    .decompress(bytes, metadata).
    """
    choice = _cmz.hw_best(algorithm=algorithm, level=level, size=data_size, backend=backend)
    compressor = CPUCompressor(algo=algorithm, level=level)
    compressor.reason = choice["reason"]
    return compressor


def _bench_data(size):
    """Mixed data: text-like records, a float table and zero runs (deterministic)."""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += f"frame {i:08d} subtitle: the quick brown fox {i % 97} jumps\n".encode()
        out += (i * 2654435761 % 2**32).to_bytes(4, "little") * 8
        if i % 64 == 0:
            out += bytes(512)
        i += 1
    return bytes(out[:size])


def benchmark_hardware(data_size=10 * 1024 * 1024, iterations=3, algorithm=DEFAULT_ALGORITHM,
                       level=None):
    """Measures each backend present -> {backend: {"compression_speed": MB/s,
    "decompression_speed": MB/s}} (MB = 2**20 bytes; the best of `iterations` runs on
    data_size bytes of generated mixed data). Backends that are absent are left out; in this
    version that leaves "cpu" (cmz.hw_list says why the others are absent).
    """
    if data_size <= 0 or iterations <= 0:
        raise ValueError("data_size and iterations must be positive")
    data = _bench_data(data_size)
    results = {}
    for hw in _cmz.hw_list():
        if not hw["present"] or hw["backend"] != "cpu":
            continue  # no non-CPU codec path exists in this version (docs/HW.md)
        comp = CPUCompressor(algo=algorithm, level=level)
        best_c = best_d = float("inf")
        for _ in range(iterations):
            t = time.perf_counter()
            frame = comp._compressor.compress(data)
            best_c = min(best_c, time.perf_counter() - t)
            t = time.perf_counter()
            comp._decompressor.decompress(frame)
            best_d = min(best_d, time.perf_counter() - t)
        mb = data_size / 2**20
        results[hw["backend"]] = {
            "compression_speed": mb / best_c if best_c > 0 else float("inf"),
            "decompression_speed": mb / best_d if best_d > 0 else float("inf"),
            "ratio": data_size / len(frame),
        }
    return results
