"""A fast reader for a GGUF file's key/value header and tensor table.

`gguf.GGUFReader` builds a numpy view for every array element and takes about 8 s on
a model with a 262k-token vocabulary; Hearth checks files at start-up and before every
load, so this reader walks the same layout (the `gguf` package's type constants and
quantisation sizes) and skips the arrays it does not need: about 0.1 s.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

__all__ = ["GgufHeader", "UnsupportedVersion", "read_header"]

_SCALAR = {
    GGUFValueType.UINT8: "<B", GGUFValueType.INT8: "<b",
    GGUFValueType.UINT16: "<H", GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I", GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f", GGUFValueType.BOOL: "<?",
    GGUFValueType.UINT64: "<Q", GGUFValueType.INT64: "<q",
    GGUFValueType.FLOAT64: "<d",
}
_KEEP_ARRAY_ITEMS = 64  # longer arrays (vocabularies) are skipped, not decoded


class UnsupportedVersion(ValueError):
    """A GGUF file of a version this reader does not know."""


@dataclass(frozen=True)
class GgufHeader:
    version: int
    fields: dict[str, Any]
    tensor_shapes: dict[str, tuple[int, ...]]  # ggml order: ne[0] first
    data_end: int  # the file size the header promises


def read_header(path: Path) -> GgufHeader:
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        return _Parser(buf).parse()


class _Parser:
    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str) -> Any:
        value = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        length = self.take("<Q")
        if self.pos + length > len(self.buf):
            raise ValueError("header string runs past the end of the file")
        text = bytes(self.buf[self.pos : self.pos + length]).decode("utf-8")
        self.pos += length
        return text

    def value(self, kind: int) -> Any:
        kind = GGUFValueType(kind)
        if kind in _SCALAR:
            return self.take(_SCALAR[kind])
        if kind == GGUFValueType.STRING:
            return self.string()
        if kind == GGUFValueType.ARRAY:
            item_kind = GGUFValueType(self.take("<I"))
            count = self.take("<Q")
            if count <= _KEEP_ARRAY_ITEMS:
                return [self.value(item_kind) for _ in range(count)]
            self.skip_array(item_kind, count)
            return None
        raise ValueError(f"unknown GGUF value type {kind}")

    def skip_array(self, kind: GGUFValueType, count: int) -> None:
        if kind in _SCALAR:
            self.pos += struct.calcsize(_SCALAR[kind]) * count
        elif kind == GGUFValueType.STRING:
            for _ in range(count):
                self.pos += 8 + struct.unpack_from("<Q", self.buf, self.pos)[0]
        else:
            for _ in range(count):
                self.value(kind)
        if self.pos > len(self.buf):
            raise ValueError("header array runs past the end of the file")

    def parse(self) -> GgufHeader:
        self.pos = 4  # magic, checked by the caller
        version = self.take("<I")
        if version not in (2, 3):
            raise UnsupportedVersion(f"GGUF version {version} is not supported (2 and 3 are)")
        n_tensors = self.take("<Q")
        n_fields = self.take("<Q")
        fields: dict[str, Any] = {}
        for _ in range(n_fields):
            key = self.string()
            fields[key] = self.value(self.take("<I"))
        tensors: list[tuple[str, tuple[int, ...], int, int]] = []
        for _ in range(n_tensors):
            name = self.string()
            dims = tuple(self.take("<Q") for _ in range(self.take("<I")))
            tensors.append((name, dims, self.take("<I"), self.take("<Q")))
        alignment = int(fields.get("general.alignment") or 32)
        data_start = -(-self.pos // alignment) * alignment
        data_end = data_start
        for _name, dims, kind, offset in tensors:
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
            elements = 1
            for dim in dims:
                elements *= dim
            data_end = max(data_end, data_start + offset + elements // block * type_size)
        shapes = {name: dims for name, dims, _kind, _offset in tensors}
        return GgufHeader(version=version, fields=fields, tensor_shapes=shapes, data_end=data_end)
