"""Register codec: typed Modbus words ↔ Python values, SunSpec sentinels and scale factors.

Pure functions, no I/O. Words are 16-bit unsigned ints, big-endian word order (SunSpec) unless
``word_order="little"`` (vendor maps). Sentinels ("not implemented") decode to ``None``, never to 0.
Scale factors: value = raw × 10^SF with SF a signed int16 in −10..10; SF 0x8000 means "not
implemented", so every point using it decodes to ``None`` and cannot be written.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Collection, Sequence

SIZES: dict[str, int] = {
    "int16": 1,
    "uint16": 1,
    "enum16": 1,
    "bitfield16": 1,
    "count": 1,
    "sunssf": 1,
    "acc16": 1,
    "pad": 1,
    "raw16": 1,
    "int32": 2,
    "uint32": 2,
    "enum32": 2,
    "bitfield32": 2,
    "acc32": 2,
    "float32": 2,
    "ipaddr": 2,
    "int64": 4,
    "uint64": 4,
    "acc64": 4,
    "float64": 4,
    "ipv6addr": 8,
    "eui48": 4,
}
SIGNED = {"int16", "sunssf", "int32", "int64"}
UNSIGNED_SENTINEL_MAX = {"uint16", "enum16", "bitfield16", "count", "uint32", "enum32", "bitfield32", "uint64"}
ACCUMULATORS = {"acc16", "acc32", "acc64"}
SF_NOT_IMPLEMENTED = 0x8000
SF_RANGE = range(-10, 11)


class CodecError(ValueError):
    """A value cannot be encoded (overflow, unknown type, sentinel, SF not implemented)."""


def _to_int(words: Sequence[int], word_order: str) -> int:
    ordered = list(words) if word_order == "big" else list(reversed(words))
    value = 0
    for word in ordered:
        value = (value << 16) | (word & 0xFFFF)
    return value


def _from_int(value: int, size: int, word_order: str) -> list[int]:
    words = [(value >> (16 * (size - 1 - i))) & 0xFFFF for i in range(size)]
    return words if word_order == "big" else list(reversed(words))


def decode(  # noqa: PLR0911 - one return per SunSpec point type reads best
    point_type: str, words: Sequence[int], word_order: str = "big", invalid: Collection[int] | None = None
) -> int | float | str | None:
    """Decode the words of one point; ``None`` if the point holds its "not implemented" sentinel.

    Integer types return ``int`` (signed where the type is signed), float32 returns ``float``,
    string returns ``str`` with trailing NULs stripped, pad returns ``None``. ``invalid`` replaces the SunSpec
    sentinels with the raw (unsigned, as the words read) values a vendor uses for "not available" (e.g. Huawei's
    0x7FFFFFFF for int32); an empty collection means no sentinel at all. NaN floats are always None.
    """
    if point_type == "string":
        raw = b"".join(struct.pack(">H", w & 0xFFFF) for w in words)
        return None if not raw or raw[0] == 0 else raw.rstrip(b"\x00").decode("utf-8", errors="replace")
    if point_type == "pad":
        return None
    size = SIZES.get(point_type)
    if size is None:
        raise CodecError(f"unknown point type {point_type!r}")
    if len(words) != size:
        raise CodecError(f"{point_type} needs {size} registers, got {len(words)}")
    unsigned = _to_int(words, word_order)
    bits = 16 * size
    if invalid is not None:
        return None if unsigned in invalid else _plain(point_type, unsigned, bits)
    if point_type in ("float32", "float64"):
        fmt = ">f" if size == 2 else ">d"
        value_f = struct.unpack(fmt, unsigned.to_bytes(2 * size, "big"))[0]
        return None if math.isnan(value_f) else float(value_f)
    if point_type in SIGNED:
        if unsigned == 1 << (bits - 1):
            return None
        return unsigned - (1 << bits) if unsigned >= 1 << (bits - 1) else unsigned
    if point_type in UNSIGNED_SENTINEL_MAX:
        return None if unsigned == (1 << bits) - 1 else unsigned
    if point_type in ACCUMULATORS:
        return None if unsigned == 0 else unsigned
    return unsigned  # ipaddr, raw16, eui48, ipv6addr: no sentinel


def int_words(raw: int, size: int, word_order: str = "big") -> list[int]:
    """The words of an unsigned raw register integer (e.g. a vendor's "not available" value)."""
    return _from_int(raw, size, word_order)


def _plain(point_type: str, unsigned: int, bits: int) -> int | float | None:
    """The value of an unsigned register integer without SunSpec sentinel semantics."""
    if point_type in ("float32", "float64"):
        value = struct.unpack(">f" if bits == 32 else ">d", unsigned.to_bytes(bits // 8, "big"))[0]
        return None if math.isnan(value) else float(value)
    if point_type in SIGNED:
        return unsigned - (1 << bits) if unsigned >= 1 << (bits - 1) else unsigned
    return unsigned


def sentinel_words(point_type: str, size: int) -> list[int]:
    """The words of the "not implemented" value of a type (used by simulators and tests)."""
    if point_type in SIGNED:
        return [0x8000] + [0] * (size - 1)
    if point_type in UNSIGNED_SENTINEL_MAX:
        return [0xFFFF] * size
    if point_type == "float32":
        return [0x7FC0, 0x0000]
    return [0] * size


def scale_factor(raw_sf: int | None) -> int | None:
    """A decoded SF value → exponent, or ``None`` if not implemented or outside −10..10 (garbage)."""
    if raw_sf is None or raw_sf not in SF_RANGE:
        return None
    return raw_sf


def apply_sf(raw: int | float | None, sf: int | None) -> float | None:
    """value = raw × 10^sf; ``None`` if either is missing."""
    if raw is None or sf is None:
        return None
    return float(raw) * 10.0**sf if sf < 0 else float(raw * 10**sf)


def encode(
    point_type: str,
    value: int | float | str,
    sf: int | None = 0,
    size: int | None = None,
    word_order: str = "big",
    *,
    factor: float = 1.0,
    invalid: Collection[int] | None = None,
) -> list[int]:
    """Encode an engineering value into words: raw = round(value / factor / 10^sf), range-checked, never wrapped.

    Raises ``CodecError`` if the SF is not implemented (``None``), the raw value overflows its type
    or would equal the type's sentinel (or one of the vendor's ``invalid`` raw values, if given).
    """
    if point_type == "string":
        count = size or 1
        data = str(value).encode("utf-8")[: 2 * count].ljust(2 * count, b"\x00")
        return [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(count)]
    if sf is None:
        raise CodecError("scale factor not implemented (0x8000): the point cannot be written")
    n = SIZES.get(point_type)
    if n is None:
        raise CodecError(f"unknown point type {point_type!r}")
    if not factor:
        raise CodecError("a point with factor 0 cannot be written")
    if point_type in ("float32", "float64"):
        fmt = ">f" if n == 2 else ">d"
        as_int = int.from_bytes(struct.pack(fmt, float(value) / factor / 10.0**sf), "big")
        return _from_int(as_int, n, word_order)
    raw = round(float(value) / factor / 10.0**sf)
    bits = 16 * n
    if invalid is not None:
        low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if point_type in SIGNED else (0, (1 << bits) - 1)
        if not low <= raw <= high or (raw & ((1 << bits) - 1)) in invalid:
            raise CodecError(f"value {value} gives raw {raw}: outside {point_type} range or a 'not available' value")
        return _from_int(raw & ((1 << bits) - 1), n, word_order)
    if point_type in SIGNED:
        low, high = -(1 << (bits - 1)) + 1, (1 << (bits - 1)) - 1  # the minimum is the sentinel
    elif point_type in UNSIGNED_SENTINEL_MAX:
        low, high = 0, (1 << bits) - 2
    else:
        low, high = 0, (1 << bits) - 1
    if not low <= raw <= high:
        raise CodecError(f"value {value} with SF {sf} gives raw {raw}, outside {point_type} range {low}..{high}")
    return _from_int(raw & ((1 << bits) - 1), n, word_order)
