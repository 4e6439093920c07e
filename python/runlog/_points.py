"""Points files of compacted journals (journal format 5, docs/JOURNAL.md "Points files").

The editor's store compacts a finished run's journal once: its metric points move into
``runs/<run id>/points.<generation>.bin`` in chunks encoded as the store's own chunks are
(src/store/chunkCodec.ts), each chunk named by a ``metrics`` line with ``file``, ``at``, ``bytes``,
``count`` and ``sha256``. This module reads such a chunk back, by the store's rules
(src/store/pointsFile.ts): the bytes must hash to the line's ``sha256`` or none of its points count.
"""

import hashlib
import os
import re
import struct
import sys
from array import array
from typing import Any, Dict, List, Optional, Tuple

_POINTS_FILE = re.compile(r"points\.[0-9a-f]{16}\.bin\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_MAX_POINTS = 1 << 20
_RAW_STEPS = 1
_RAW_TIMES = 2
_HEADER = 5


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2 ** 53 - 1


def _column(blob: bytes, at: int, count: int, raw: bool) -> Optional[List[float]]:
    if raw:
        if at + 8 * count > len(blob):
            return None
        return list(struct.unpack_from("<%dd" % count, blob, at))
    out: List[float] = []
    previous = 0
    pos = at
    try:
        for _ in range(count):
            byte = blob[pos]
            pos += 1
            zigzagged = byte & 0x7F
            shift = 7
            while byte >= 0x80:
                byte = blob[pos]
                pos += 1
                zigzagged |= (byte & 0x7F) << shift
                shift += 7
            previous += (zigzagged >> 1) if zigzagged % 2 == 0 else -((zigzagged + 1) >> 1)
            out.append(previous)
    except IndexError:
        return None
    return out


def read_points(event: Dict[str, Any], folder: Optional[str]) -> Optional[Tuple[str, List[int], List[int], List[float]]]:
    """(key, steps, times, values) of a ``metrics`` line naming a chunk of its run's points file in
    ``folder``; None when the line breaks a rule or its bytes are missing or do not hash to it."""
    key, name, at, size, count, digest = (event.get(field) for field in ("key", "file", "at", "bytes", "count", "sha256"))
    if folder is None or not isinstance(key, str) or not key or not isinstance(name, str) \
            or not _POINTS_FILE.match(name) or not isinstance(digest, str) or not _SHA256.match(digest):
        return None
    if not (_integer(at) and _integer(size) and _integer(count)) or not 1 <= count <= _MAX_POINTS \
            or not _HEADER + 8 * count <= size <= _HEADER + 24 * count:
        return None
    path = os.path.join(folder, name)
    try:
        if os.path.islink(path):
            return None
        with open(path, "rb") as handle:
            handle.seek(at)
            blob = handle.read(size)
    except OSError:
        return None
    if len(blob) != size or hashlib.sha256(blob).hexdigest() != digest:
        return None
    flags = blob[0]
    (steps_length,) = struct.unpack_from("<I", blob, 1)
    steps_at = _HEADER + 8 * count
    if flags > 3 or steps_at + steps_length > size:
        return None
    values = array("d")
    values.frombytes(blob[_HEADER:steps_at])
    if sys.byteorder == "big":
        values.byteswap()
    steps = _column(blob, steps_at, count, bool(flags & _RAW_STEPS))
    times = _column(blob, steps_at + steps_length, count, bool(flags & _RAW_TIMES))
    if steps is None or times is None:
        return None
    return key, [int(s) for s in steps], [int(t) for t in times], values.tolist()
