"""Integer arguments out of range are refused, never wrapped: a crc past 32 bits or a
negative offset or length would otherwise be read modulo 2**32 or 2**64 and give a wrong
checksum, or silently nothing (or everything)."""

import pytest

import cmz


def test_crc32c_refuses_a_crc_past_32_bits():
    assert cmz.crc32c(b"x", 5) == cmz.crc32c(b"x", 5)
    assert cmz.crc32c(b"x", 0xFFFFFFFF) >= 0
    for bad in (-1, 2**32 + 5):
        with pytest.raises((ValueError, OverflowError)):
            cmz.crc32c(b"x", bad)


def test_frame_reader_refuses_negative_offsets_and_lengths():
    fr = cmz.FrameReader(cmz.compress(b"abc" * 100))
    assert fr.read(3, 3) == b"abc"
    with pytest.raises(ValueError):
        fr.read(-1, 10)
    with pytest.raises(ValueError):
        fr.read(0, -1)
    with pytest.raises(ValueError):
        fr.readinto(-3, bytearray(4))
    assert fr.read(2**64 - 1, 10) == b""  # past the end: nothing, as before


def test_numpy_integers_are_still_offsets():
    np = pytest.importorskip("numpy")
    fr = cmz.FrameReader(cmz.compress(b"abc" * 100))
    assert fr.read(np.int64(3), np.uint32(3)) == b"abc"
    assert cmz.crc32c(b"x", np.uint32(5)) == cmz.crc32c(b"x", 5)
    with pytest.raises(TypeError):
        fr.read(1.5, 3)
