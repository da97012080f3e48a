"""Compression for applications that keep large resources in little memory.

A Python binding of libcmz (a C library): chunked, checksummed, seekable ``.cmz`` frames
with zstd, lz4, gzip, bzip2, xz, snappy, brotli and cmz's own codecs, filters for typed
data (NumPy arrays), Reed-Solomon parity, and all cores.

Core calls (any object with the buffer protocol is taken without a copy; the GIL is
released during the codec work):

    frame = cmz.compress(data, algorithm="zstd", level=3)
    data = cmz.decompress(frame)                 # or cmz.decompress(frame, out=array)
    part = cmz.read_range(frame, offset, length) # decodes only the chunks needed
    cmz.info(frame)                              # what the frame says about itself

Reusable objects keep their contexts and threads between calls:

    c = cmz.Compressor(algorithm="lz4"); d = cmz.Decompressor()

Files: cmz.open(path_or_fileobj, "rb" | "wb" | "xb" | "ab", ...) is a binary file object,
streaming on write and seekable on read (through the frame's index).

The application's own calls (cmz.app): compress_data / decompress_data (with a metadata
dict), compress_chunked / decompress_chunked, safe_compress / safe_decompress (parity
repair, then a report of the lost ranges), get_resource_policy and create_policy /
update_policy / delete_policy / verify_policy, get_best_hardware, CPUCompressor,
benchmark_hardware. Damage: verify, salvage, repair, repair_file, check_parity.

Errors are cmz.Error subclasses (CorruptError with .chunk and .offset, TruncatedError,
NotAFrameError, UnknownCodecError, ...); bad arguments raise ValueError or TypeError.
"""

from ._cmz import (
    ArgumentError,
    BusyError,
    CodecError,
    Compressor,
    CorruptError,
    Decompressor,
    Error,
    ExistsError,
    FileError,
    InterruptedError,
    LimitError,
    NotAFrameError,
    NotFoundError,
    OutOfMemoryError,
    PolicyError,
    TruncatedError,
    UnknownCodecError,
    UnsupportedError,
    codecs,
    compress,
    decompress,
    default_codec,
    filters,
    info,
    library_version,
    read_range,
)

from ._cmz import (
    FrameReader,
    check_parity,
    compress_stream,
    crc32c,
    hw_best,
    hw_list,
    repair,
    repair_file,
    salvage,
    verify,
)
from ._file import CmzFile, open
from .registry import Registry, get_registry, get_release_snapshot
from .snapshots import Snapshots
from .app import (
    DEFAULT_ALGORITHM,
    CPUCompressor,
    benchmark_hardware,
    compress_chunked,
    compress_data,
    create_policy,
    decompress_chunked,
    decompress_data,
    delete_policy,
    get_best_hardware,
    get_resource_policy,
    safe_compress,
    safe_decompress,
    update_policy,
    verify_policy,
)

__version__ = library_version

__all__ = [
    "ArgumentError",
    "BusyError",
    "CodecError",
    "Compressor",
    "CorruptError",
    "Decompressor",
    "Error",
    "ExistsError",
    "FileError",
    "InterruptedError",
    "LimitError",
    "NotAFrameError",
    "NotFoundError",
    "OutOfMemoryError",
    "PolicyError",
    "TruncatedError",
    "UnknownCodecError",
    "UnsupportedError",
    "codecs",
    "compress",
    "decompress",
    "default_codec",
    "filters",
    "info",
    "library_version",
    "read_range",
    # cmz.open, the damage and hardware bindings, the application's API
    "CmzFile",
    "FrameReader",
    "check_parity",
    "compress_stream",
    "crc32c",
    "hw_best",
    "hw_list",
    "open",
    "repair",
    "repair_file",
    "salvage",
    "verify",
    "DEFAULT_ALGORITHM",
    "CPUCompressor",
    "benchmark_hardware",
    "compress_chunked",
    "compress_data",
    "create_policy",
    "decompress_chunked",
    "decompress_data",
    "delete_policy",
    "get_best_hardware",
    "get_resource_policy",
    "safe_compress",
    "safe_decompress",
    "update_policy",
    "verify_policy",
    # the memory registry and its release snapshots over Python objects
    "Registry",
    "Snapshots",
    "get_registry",
    "get_release_snapshot",
]
