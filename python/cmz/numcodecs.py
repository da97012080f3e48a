"""A numcodecs codec, ``Cmz``: cmz frames as the compressor of Zarr arrays (and so of Dask).

    import zarr
    from cmz.numcodecs import Cmz
    z = zarr.open("weights.zarr", mode="w", shape=a.shape, chunks=(1 << 18,), dtype=a.dtype,
                  compressor=Cmz())
    z[:] = a

Importing this module registers the codec with numcodecs (``codec_id = "cmz"``); an
installed cmz also declares it under the ``numcodecs.codecs`` entry point, so
``numcodecs.get_codec({"id": "cmz"})`` and Zarr arrays written with it open without this
import. Every chunk is one .cmz frame: it carries its codec, filter and checksums, so it
decodes with ``cmz.decompress`` or ``cmz -d`` whatever settings wrote it.

numcodecs is imported here, not by ``import cmz``: the rest of the package works without it.
"""

import operator
import threading

try:
    from numcodecs.abc import Codec as _Codec
    from numcodecs.compat import ensure_contiguous_ndarray as _contiguous
    from numcodecs.registry import register_codec as _register_codec
except ImportError as e:  # pragma: no cover - depends on the machine
    raise ImportError(
        "cmz.numcodecs needs the numcodecs package, which is missing "
        f"({e}); on Debian: apt-get install python3-numcodecs (scripts/bootstrap installs it). "
        "The rest of cmz works without it.") from e

from . import _cmz

__all__ = ["Cmz"]

_FILTER_SIZES = (2, 4, 8)  # the typesizes every filter takes (docs/FILTERS.md)
# zstd's level when none is given: 1, as numcodecs.Zstd. Zarr data is read more often than
# written, and on float planes level 1 stores as small as 3 (docs/BENCH.md, "Zarr through
# Dask").
_ZSTD_LEVEL = 1


class Cmz(_Codec):
    """numcodecs codec writing each chunk as one .cmz frame.

    algorithm: a codec name (``cmz.codecs()``); default zstd, or ``cmz.default_codec()`` in a
    build without zstd (a codec named explicitly that the build lacks is an error).
    level: the codec's level; None: 1 for zstd, the codec's default for the others.
    filter: ``"none"``, ``"shuffle"``, ``"bitshuffle"``, ``"delta"``, ``"planes"``, ``"auto"``
    (cmz tries them on a sample), or None to choose by the data: planes for floats of 2, 4
    or 8 bytes (and complex numbers), shuffle for other elements of 2, 4 or 8 bytes, none
    for the rest and for the planes codec, which cuts byte planes itself.
    typesize: the filter's element size (None: the array's itemsize).
    threads: cmz worker threads per call (1: Zarr and Dask already run chunks in parallel;
    0: one per core). chunk_size: raw bytes per independent chunk inside the frame (None:
    the codec's default).

    The configuration is plain JSON (``get_config``/``from_config``); decoding needs none of
    it, the frame says how it was written.
    """

    codec_id = "cmz"

    def __init__(self, algorithm=_cmz.default_codec(), level=None, filter=None, typesize=None, threads=1,
                 chunk_size=None):
        self.algorithm = _name(algorithm, "algorithm", _cmz.codecs())
        if self.algorithm is None:
            raise ValueError("Cmz: algorithm must be a codec name, got None")
        self.level = _int_or_none(level, "level", None)
        self.filter = _name(filter, "filter", _cmz.filters() + ["auto"])
        self.typesize = _int_or_none(typesize, "typesize", 1)
        self.threads = _int_or_none(threads, "threads", 0)
        if self.threads is None:
            raise ValueError("Cmz: threads must be an integer >= 0, got None")
        self.chunk_size = _int_or_none(chunk_size, "chunk_size", 1)
        # the level and chunk size against the codec, now rather than at the first chunk
        _cmz.Compressor(algorithm=self.algorithm, level=self.level, threads=1,
                        chunk_size=self.chunk_size).close()
        self._local = threading.local()

    # A Compressor serialises its calls: one per thread and per setting, kept for reuse.
    def _compressor(self, settings):
        cache = self._local.__dict__.setdefault("compressors", {})
        c = cache.get(settings)
        if c is None:
            c = cache[settings] = _cmz.Compressor(**dict(settings))
        return c

    def _decompressor(self):
        d = getattr(self._local, "decompressor", None)
        if d is None:
            d = self._local.decompressor = _cmz.Decompressor(threads=self.threads)
        return d

    def settings_for(self, dtype):
        """The cmz.compress keywords this codec uses for data of the NumPy ``dtype``."""
        kind, size = _element(dtype)
        kw = {"algorithm": self.algorithm, "filter": self.filter or "none"}
        if self.filter is None and size in _FILTER_SIZES and self.algorithm != "planes":
            kw["filter"] = "planes" if kind == "f" else "shuffle"
        if self.level is not None or self.algorithm == "zstd":
            kw["level"] = _ZSTD_LEVEL if self.level is None else self.level
        if self.chunk_size is not None:
            kw["chunk_size"] = self.chunk_size
        typesize = self.typesize if self.typesize is not None else _typesize(
            kw["algorithm"], kw["filter"], size)
        if typesize is not None:
            kw["typesize"] = typesize
        kw["threads"] = self.threads
        return kw

    def encode(self, buf):
        """One .cmz frame (bytes) holding ``buf`` (any contiguous buffer, read in place)."""
        arr = _contiguous(buf)
        settings = tuple(sorted(self.settings_for(arr.dtype).items()))
        return self._compressor(settings).compress(arr)

    def decode(self, buf, out=None):
        """The content of the frame ``buf``: bytes, or written into ``out`` (any writable
        contiguous buffer of exactly the content's size, e.g. the Zarr chunk's array),
        without an intermediate copy; ``out`` is returned."""
        frame = _contiguous(buf)
        if out is None:
            return self._decompressor().decompress(frame)
        dest = _contiguous(out)
        size = _cmz.info(frame)["content_size"]
        if dest.nbytes != size:
            raise ValueError(f"Cmz.decode: the frame holds {size} bytes; out has {dest.nbytes}")
        self._decompressor().decompress(frame, out=dest)
        return out

    def __getstate__(self):
        # the per-thread objects stay behind (Dask ships codecs to worker processes)
        return self.get_config()

    def __setstate__(self, config):
        config = dict(config)
        config.pop("id", None)
        self.__init__(**config)


def _element(dtype):
    """(kind, size) of the unit a filter should see: a complex number is two floats, a
    unicode string 4-byte code points."""
    if dtype.kind == "c":
        return "f", dtype.itemsize // 2
    if dtype.kind == "U":
        return "u", 4
    return dtype.kind, dtype.itemsize


def _typesize(algorithm, filter, size):
    """The element size a filter (or the planes codec without one) gets by default: the
    array's itemsize where it takes it; none for auto (it tries 2 and 4); otherwise 1, and
    a filter that needs more says so."""
    if filter == "none":
        return size if algorithm == "planes" and size in (1,) + _FILTER_SIZES else 1
    if size in _FILTER_SIZES:
        return size
    return None if filter == "auto" else 1


def _name(value, what, valid):
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"Cmz: {what} must be a string or None, got {type(value).__name__}")
    if value.lower() not in valid:
        raise ValueError(f"Cmz: unknown {what} {value!r}; valid: {', '.join(valid)}")
    return value.lower()


def _int_or_none(value, what, least):
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        value = operator.index(value)  # int, NumPy integers
    except TypeError:
        raise TypeError(
            f"Cmz: {what} must be an integer or None, got {type(value).__name__}") from None
    if least is not None and value < least:
        raise ValueError(f"Cmz: {what} must be >= {least}, got {value}")
    return value


_register_codec(Cmz)
