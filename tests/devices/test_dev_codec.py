"""Conformance 1, 2 and 10 (converters): scale factors, sentinels per type, encode range checks."""

from __future__ import annotations

import math

import pytest
from pymodbus.client import AsyncModbusTcpClient

from devices.codec import CodecError, apply_sf, decode, encode, scale_factor, sentinel_words


@pytest.mark.parametrize(
    ("raw", "sf", "expected"),
    [(12345, -2, 123.45), (12345, 1, 123450.0), (7, 0, 7.0), (-250, -1, -25.0), (3, 10, 3e10)],
)
def test_scale_factor_applies_power_of_ten(raw: int, sf: int, expected: float) -> None:
    assert apply_sf(raw, sf) == pytest.approx(expected)


def test_sf_not_implemented_gives_none_and_refuses_writes() -> None:
    sf = scale_factor(decode("sunssf", [0x8000]))  # type: ignore[arg-type]
    assert sf is None
    assert apply_sf(12345, sf) is None
    with pytest.raises(CodecError, match="not implemented"):
        encode("uint16", 100, sf)


def test_sf_outside_range_is_garbage() -> None:
    assert scale_factor(11) is None
    assert scale_factor(-11) is None
    assert scale_factor(-10) == -10


def test_encode_scales_rounds_and_refuses_overflow() -> None:
    assert encode("int16", 1500, 1) == [150]
    assert encode("uint16", 1504, 1) == [150]
    assert encode("uint16", 1506, 1) == [151]
    assert encode("int16", -25.0, -1) == [(-250) & 0xFFFF]
    assert encode("int32", -2, 0) == [0xFFFF, 0xFFFE]
    with pytest.raises(CodecError, match="outside"):
        encode("int16", 40000, 0)  # would wrap to a negative number
    with pytest.raises(CodecError, match="outside"):
        encode("uint16", 65535, 0)  # the sentinel is not a value
    with pytest.raises(CodecError, match="outside"):
        encode("int16", -32768, 0)


SENTINELS = [
    ("int16", [0x8000]),
    ("sunssf", [0x8000]),
    ("uint16", [0xFFFF]),
    ("enum16", [0xFFFF]),
    ("bitfield16", [0xFFFF]),
    ("count", [0xFFFF]),
    ("int32", [0x8000, 0]),
    ("uint32", [0xFFFF, 0xFFFF]),
    ("enum32", [0xFFFF, 0xFFFF]),
    ("bitfield32", [0xFFFF, 0xFFFF]),
    ("int64", [0x8000, 0, 0, 0]),
    ("uint64", [0xFFFF] * 4),
    ("acc16", [0]),
    ("acc32", [0, 0]),
    ("acc64", [0, 0, 0, 0]),
    ("float32", [0x7FC0, 0]),
    ("string", [0, 0x4142]),
]


@pytest.mark.parametrize(("point_type", "words"), SENTINELS)
def test_every_sentinel_decodes_to_none(point_type: str, words: list[int]) -> None:
    assert decode(point_type, words) is None


@pytest.mark.parametrize(("point_type", "words"), [s for s in SENTINELS if s[0] != "string"])
def test_sentinel_words_match_the_table(point_type: str, words: list[int]) -> None:
    if point_type != "float32":
        assert sentinel_words(point_type, len(words)) == words


def test_values_next_to_sentinels_are_values() -> None:
    assert decode("int16", [0x8001]) == -32767
    assert decode("uint16", [0xFFFE]) == 65534
    assert decode("acc32", [0, 1]) == 1
    assert decode("int32", [0xFFFF, 0xFFFF]) == -1
    assert decode("string", [0x4142, 0x4300]) == "ABC"
    assert math.isclose(decode("float32", [0x3FC0, 0]), 1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("word_order", ["big", "little"])
@pytest.mark.parametrize(
    ("point_type", "dtype", "value"),
    [
        ("int16", "INT16", -1234),
        ("uint16", "UINT16", 54321),
        ("int32", "INT32", -123456789),
        ("uint32", "UINT32", 4000000000),
        ("int64", "INT64", -(2**40)),
        ("uint64", "UINT64", 2**50),
        ("float32", "FLOAT32", 2.5),
    ],
)
def test_codec_agrees_with_pymodbus_converters(point_type: str, dtype: str, value: float, word_order: str) -> None:
    datatype = getattr(AsyncModbusTcpClient.DATATYPE, dtype)
    words = AsyncModbusTcpClient.convert_to_registers(value, datatype, word_order=word_order)  # type: ignore[arg-type]
    assert encode(point_type, value, 0, word_order=word_order) == words
    assert decode(point_type, words, word_order) == value
    assert AsyncModbusTcpClient.convert_from_registers(words, datatype, word_order=word_order) == value  # type: ignore[arg-type]
