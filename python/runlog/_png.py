"""PNG encoding with the standard library, and reading the size of PNG and JPEG files.

``encode`` writes 8-bit grayscale, RGB or RGBA pixels as a PNG (PNG specification, 2nd edition):
the signature, ``IHDR``, one ``IDAT`` holding the zlib stream of the rows (each with filter type 0,
None), ``IEND``, each chunk with its CRC-32 (``zlib.crc32`` over the chunk type and data). It is
what ``log_image`` uses when Pillow is not importable; with Pillow, images go through Pillow as
MLflow's do.

``image_size`` reads width and height from a PNG's ``IHDR`` or a JPEG's start-of-frame marker
without decoding the pixels, so stored bytes can be checked against the size limits.
"""

import struct
import zlib
from typing import Optional, Tuple

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_START = b"\xff\xd8\xff"

# PNG colour types for 1, 3 and 4 channels of 8 bits: grayscale, truecolour, truecolour with alpha.
_COLOR_TYPES = {1: 0, 3: 2, 4: 6}
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}
# zlib's default: 6 compresses rendered plots and photos nearly as well as 9, several times faster.
COMPRESSION_LEVEL = 6


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode(width: int, height: int, channels: int, pixels: bytes) -> bytes:
    """A PNG of ``height`` rows of ``width`` pixels, each ``channels`` bytes (1 gray, 3 RGB, 4 RGBA),
    given row by row, top to bottom, in ``pixels``."""
    if channels not in _COLOR_TYPES:
        raise ValueError("a PNG pixel has 1, 3 or 4 channels here, not %d" % channels)
    if width < 1 or height < 1 or width > 0x7FFFFFFF or height > 0x7FFFFFFF:
        raise ValueError("a PNG is 1 to 2**31 - 1 pixels wide and high, not %d x %d" % (width, height))
    stride = width * channels
    if len(pixels) != stride * height:
        raise ValueError("%d x %d pixels of %d channels take %d bytes, not %d"
                         % (width, height, channels, stride * height, len(pixels)))
    view = memoryview(pixels)
    compressor = zlib.compressobj(COMPRESSION_LEVEL)
    parts = []
    # Each row is its filter byte (0: None) and its pixels; compressed in slices to bound memory.
    rows_per_slice = max(1, (1 << 20) // (stride + 1))
    for first in range(0, height, rows_per_slice):
        last = min(height, first + rows_per_slice)
        rows = b"".join(b"\x00" + view[row * stride:(row + 1) * stride] for row in range(first, last))
        parts.append(compressor.compress(rows))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def kind_of(data: bytes) -> Optional[str]:
    """``"png"`` or ``"jpeg"`` by the file's first bytes, else None."""
    if data[:8] == PNG_SIGNATURE:
        return "png"
    if data[:3] == JPEG_START:
        return "jpeg"
    return None


def png_size(data: bytes) -> Tuple[int, int]:
    """(width, height) from a PNG's ``IHDR``; ValueError if the bytes do not start a valid PNG."""
    if len(data) < 33 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("the bytes are not a PNG image (no IHDR chunk after the signature)")
    length = struct.unpack(">I", data[8:12])[0]
    if length != 13:
        raise ValueError("the PNG's IHDR chunk is %d bytes, not 13" % length)
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    if width == 0 or height == 0 or color not in (0, 2, 3, 4, 6):
        raise ValueError("the PNG's header is invalid (%d x %d, colour type %d)" % (width, height, color))
    return width, height


# JPEG start-of-frame markers (SOF0-SOF15, but not DHT C4, JPG C8 or DAC CC) hold the image size.
_SOF_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def jpeg_size(data: bytes) -> Tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment; ValueError if there is none."""
    if data[:3] != JPEG_START:
        raise ValueError("the bytes are not a JPEG image (no SOI marker)")
    position = 2
    end = len(data)
    while position + 4 <= end:
        if data[position] != 0xFF:
            raise ValueError("the JPEG is malformed: no marker at byte %d" % position)
        marker = data[position + 1]
        if marker == 0xFF:  # fill bytes before a marker
            position += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            break
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        if marker in _SOF_MARKERS:
            if position + 9 > end or length < 7:
                break
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            if width == 0 or height == 0:
                raise ValueError("the JPEG's frame header gives a %d x %d image" % (width, height))
            return width, height
        position += 2 + length
    raise ValueError("the JPEG has no frame header before its image data (truncated or not a JPEG)")


def image_size(data: bytes) -> Tuple[str, int, int]:
    """(``"png"`` or ``"jpeg"``, width, height) of encoded image bytes; ValueError for others."""
    kind = kind_of(data)
    if kind == "png":
        return (kind,) + png_size(data)
    if kind == "jpeg":
        return (kind,) + jpeg_size(data)
    raise ValueError("the bytes are neither a PNG nor a JPEG image (they start with %r)" % bytes(data[:8]))
