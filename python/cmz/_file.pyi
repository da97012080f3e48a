import io
import os
from typing import Any, BinaryIO

_Path = str | bytes | os.PathLike[str] | os.PathLike[bytes]

class CmzFile(io.BufferedIOBase):
    name: Any
    def __init__(self, file: _Path | BinaryIO, mode: str = "rb", *, level: int | None = None,
                 algorithm: str | None = None, threads: int = 0, chunk_size: int | None = None,
                 filter: str | None = None, typesize: int | None = None,
                 parity: tuple[int, int] | None = None) -> None: ...
    @property
    def mode(self) -> str: ...
    @property
    def size(self) -> int: ...
    def peek(self, size: int = 0) -> bytes: ...

def open(file: _Path | BinaryIO, mode: str = "rb", *, level: int | None = None,
         algorithm: str | None = None, threads: int = 0, chunk_size: int | None = None,
         filter: str | None = None, typesize: int | None = None,
         parity: tuple[int, int] | None = None) -> CmzFile: ...
