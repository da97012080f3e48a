from typing import Any, Optional

import numpy as np
from numcodecs.abc import Codec
from typing_extensions import Buffer

class Cmz(Codec):
    codec_id: str
    algorithm: Optional[str]
    level: Optional[int]
    filter: Optional[str]
    typesize: Optional[int]
    threads: int
    chunk_size: Optional[int]
    def __init__(
        self,
        algorithm: Optional[str] = ...,
        level: Optional[int] = ...,
        filter: Optional[str] = ...,
        typesize: Optional[int] = ...,
        threads: int = ...,
        chunk_size: Optional[int] = ...,
    ) -> None: ...
    def settings_for(self, dtype: np.dtype[Any]) -> dict[str, Any]: ...
    def encode(self, buf: Buffer) -> bytes: ...
    def decode(self, buf: Buffer, out: Optional[Buffer] = ...) -> Any: ...
    def get_config(self) -> dict[str, Any]: ...
    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Cmz": ...
