"""Buffered, append-only writing of run journals (``events.jsonl``, see docs/JOURNAL.md).

Logging calls only append a finished line to an in-memory list; one daemon thread per process
appends every journal's pending lines to its file at least every 100 ms, and a journal whose
buffer grows past ``FLUSH_LINES`` is written at once by the caller. A write that fails (disk
full, read-only, folder deleted) never raises: the lines stay pending and are retried with a
growing delay (100 ms up to ``MAX_RETRY_DELAY``), with one warning on stderr per failure episode.

Metric points wait in per-key lists and are written as one batched ``metrics`` line per key and
write (journal format 4: differences of steps and times, the values' doubles in base64), about
15 bytes a point where a ``metric`` line per point takes 80-90. A line's ~75 fixed bytes are paid
per key and write, so the background thread lets a key with fewer than ``HOLD_POINTS`` pending
points wait until it has seen them pending for ``POINT_DELAY`` (a slow loop's points then share a
line: ~0.3 s of them, still well within the editor's second); every other write takes them all.

Pending lines are encoded once, into chunks of whole lines; a retry writes the same chunks again
without re-encoding or joining them. While writes fail, pending events may take ``MAX_BUFFER``
bytes; past it the oldest metric points are dropped (and counted), every other event is kept.
At exit, events that could still not be written are reported on stderr, with how many and why.

Durability: a journal is fsynced when its run ends, on ``runlog.flush()``, and at most every
``FSYNC_INTERVAL`` seconds while lines keep being written.
"""

import base64
import collections
import errno
import itertools
import json
import math
import operator
import os
import sys
import threading
import time
from array import array
from typing import Any, Deque, Dict, List, Optional, Sequence, Tuple

# How often the background thread writes pending lines.
FLUSH_INTERVAL = 0.1
# The background thread writes a key's points once this many are pending, or once it has seen them
# pending for POINT_DELAY seconds (a point reaches the file 0.2-0.3 s after it was logged).
HOLD_POINTS = 64
POINT_DELAY = 0.2
# Above this many buffered lines (about 1 MB of metric lines), or points of one key, the logging
# call itself writes them.
FLUSH_LINES = 16384
# While writes fail, pending events may take this many bytes; beyond it the oldest metric points
# are dropped (every other event is small and too important to lose).
MAX_BUFFER = 64 << 20
# Failed writes are retried after FLUSH_INTERVAL, doubling up to this many seconds.
MAX_RETRY_DELAY = 5.0
# While a run writes, its journal is fsynced at most this often (and always at its end).
FSYNC_INTERVAL = 5.0
# False turns every fsync off (the benchmark's reference).
FSYNC = True

_METRIC_LINE_START = b'{"t":"metric"'
_BATCH_LINE_START = b'{"t":"metrics"'
# The journal format that brought batched metric lines (docs/JOURNAL.md).
BATCHED_METRICS_FORMAT = 4
_MAX_SAFE_INTEGER = 2 ** 53 - 1
_BIG_ENDIAN = sys.byteorder == "big"
_OPEN_FLAGS = (os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
               | getattr(os, "O_NOFOLLOW", 0))


def now_ms() -> int:
    """Wall time in whole milliseconds since the Unix epoch, as every event's ``ts``."""
    return time.time_ns() // 1000000


def encode_event(t: str, fields: dict, ts: Optional[int] = None) -> str:
    """One journal line (with its ``\\n``) for an event of type ``t``; ``t`` and ``ts`` come first."""
    event = {"t": t, "ts": now_ms() if ts is None else ts}
    event.update(fields)
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


def _wire_value(value: float) -> str:
    if value - value == 0.0:  # finite: repr() round-trips and always reads as a JSON number
        return repr(value)
    if value != value:
        return '"NaN"'
    return '"Infinity"' if value > 0 else '"-Infinity"'


def _exact(numbers: Sequence[int]) -> bool:
    """Whether a list of steps or times, and every difference in it, stays within +-(2**53 - 1)."""
    low, high = min(numbers), max(numbers)
    return -_MAX_SAFE_INTEGER <= low and high <= _MAX_SAFE_INTEGER and high - low <= _MAX_SAFE_INTEGER


def _deltas(numbers: Sequence[int]) -> str:
    return ",".join(map(str, itertools.chain((numbers[0],), map(operator.sub, numbers[1:], numbers))))


def encode_points(key_json: str, points: Sequence[Tuple[int, int, float]]) -> str:
    """One batched ``metrics`` line for ``points`` ((step, ts, value), in logging order) of the key
    whose JSON text is ``key_json``; ``metric`` lines instead when steps or times are too large for
    a double to hold every difference exactly (docs/JOURNAL.md)."""
    steps, times, values = zip(*points)
    if not (_exact(steps) and _exact(times)):
        return "".join('{"t":"metric","ts":%d,"key":%s,"value":%s,"step":%d}\n'
                       % (ts, key_json, _wire_value(value), step) for step, ts, value in points)
    data = array("d", values)
    if _BIG_ENDIAN:
        data.byteswap()
    return '{"t":"metrics","key":%s,"ts":[%s],"step":[%s],"value":"%s"}\n' % (
        key_json, _deltas(times), _deltas(steps), base64.b64encode(data.tobytes()).decode("ascii"))


def _undelta(numbers: Any) -> Optional[List[int]]:
    if not isinstance(numbers, list) or not numbers:
        return None
    out = []
    total = 0
    for index, number in enumerate(numbers):
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number) \
                or not float(number).is_integer() or abs(number) > _MAX_SAFE_INTEGER:
            return None
        total = int(number) if index == 0 else total + int(number)
        if abs(total) > _MAX_SAFE_INTEGER:
            return None
        out.append(total)
    return out


def decode_points(event: Dict[str, Any], folder: Optional[str] = None) -> Optional[Tuple[str, List[int], List[int], List[float]]]:
    """(key, steps, times, values) of a batched ``metrics`` event, by the store's rules
    (src/store/metricBatchLine.ts); for a compacted journal's line naming its points file (journal
    format 5), read from that file in ``folder``, the run's folder (src/store/pointsFile.ts). None
    for a line the store refuses."""
    if "file" in event:
        from ._points import read_points
        return read_points(event, folder)
    key, encoded = event.get("key"), event.get("value")
    if not isinstance(key, str) or not key or not isinstance(encoded, str):
        return None
    times, steps = _undelta(event.get("ts")), _undelta(event.get("step"))
    if times is None or steps is None or len(times) != len(steps):
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
    except ValueError:
        return None
    if len(data) != 8 * len(times):
        return None
    values = array("d")
    values.frombytes(data)
    if _BIG_ENDIAN:
        values.byteswap()
    return key, steps, times, values.tolist()


def line_points(line: bytes) -> int:
    """How many events a journal line holds: the points of a batched line, else 1."""
    if not line.startswith(_BATCH_LINE_START):
        return 1
    start = line.find(b'"step":[')
    end = line.find(b"]", start)
    return line.count(b",", start, end) + 1 if start != -1 and end != -1 else 1


def warn(message: str) -> None:
    """Prints ``runlog: <message>`` on stderr; a broken stderr is not worth a crash."""
    try:
        sys.stderr.write("runlog: %s\n" % message)
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - warnings are best effort
        pass


def _encode(text: str) -> bytes:
    # 'replace' keeps the output valid UTF-8 even when a string carries lone surrogates
    # (file names decoded with surrogateescape, for instance).
    return text.encode("utf-8", "replace")


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link, which Runlog does not write through"
    return exc.strerror or str(exc)


def _write_all(fd: int, data: bytes) -> Tuple[int, Optional[str]]:
    """Writes ``data``; returns how many bytes reached the file and why it stopped, if it did.

    Only the reason (a string) leaves this function, never the exception: its traceback would
    hold this frame and the caller's, and with them the data, in a cycle only the GC can free.
    """
    written = 0
    view = memoryview(data)
    try:
        while written < len(data):
            count = os.write(fd, view[written:])
            if count <= 0:
                return written, "the write made no progress"
            written += count
        return written, None
    except OSError as exc:
        return written, _reason(exc)
    finally:
        view.release()


def _read_at(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # O_APPEND: writes still go to the end
    return os.read(fd, size)


def _ends_line(fd: int) -> bool:
    """Whether the file ends with ``\\n`` (an empty one counts): else a writer died mid-line."""
    size = os.fstat(fd).st_size
    if size == 0:
        return True
    return _read_at(fd, 1, size - 1) == b"\n"


# A journal compaction replaced ends what its replacer carried over with this line (docs/JOURNAL.md,
# "Replacing a journal"); what a writer put in the old file after it, the writer writes again.
_MOVED_START = b'{"t":"moved",'
_MOVED_PIECE = 64 * 1024


def _moved_at(fd: int, size: int) -> Optional[int]:
    """Where the file's ``moved`` line starts, searching back from its end; None without one."""
    end = size
    while end > 0:
        start = max(0, end - _MOVED_PIECE)
        # The byte before the piece, to see whether a match starts a line; pieces overlap by a
        # prefix's length, so a match cut between two is found.
        first = start - 1 if start > 0 else 0
        piece = _read_at(fd, min(end + len(_MOVED_START), size) - first, first)
        at = piece.rfind(_MOVED_START)
        while at != -1:
            if first + at == 0 or (at > 0 and piece[at - 1] == 0x0A):
                return first + at
            if at == 0:
                break
            at = piece.rfind(_MOVED_START, 0, at - 1 + len(_MOVED_START))
        end = start
    return None


def _stranded(fd: int, path: str, written: List[bytes]) -> List[bytes]:
    """Of the chunks just written through ``fd``, those to write again: the journal at ``path`` is
    another file now (compaction replaced it) and they landed after the old file's ``moved`` line,
    where its replacer no longer carries lines over. Before that line, or with none yet, it does."""
    try:
        now = os.lstat(path)
        mine = os.fstat(fd)
        if (now.st_ino, now.st_dev) == (mine.st_ino, mine.st_dev):
            return []
        at = _moved_at(fd, mine.st_size)
        if at is None:
            return []
        after = _read_at(fd, mine.st_size - at, at)
    except OSError:
        return []  # the run is gone (deleted), or the old file cannot be read: nothing to carry
    return [chunk for chunk in written if chunk in after]


def _fsync_folder(path: str) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Journal:
    """The buffered writer of one ``events.jsonl``.

    ``append`` is cheap and thread-safe without a lock: ``list.append``, slicing and slice
    deletion are each atomic under the GIL, so a flush takes the first ``n`` lines and then deletes
    exactly those, and a line appended meanwhile stays queued. Taken lines are encoded once into a
    chunk; chunks are written in order, each with one ``write``. What a failed write did not get
    into the file stays pending, in order. A write cut short mid-line leaves the file ending in our
    own partial line (``_mid_line``), which the next write completes before anything else; any
    other file that does not end in ``\\n`` (another writer died mid-line) gets one first.
    """

    def __init__(self, path: str, label: Optional[str] = None) -> None:
        self.path = path
        self.label = label or path
        self.flush_lines = FLUSH_LINES
        self.max_buffer = MAX_BUFFER
        self._lines: List[str] = []  # never rebound: appends may race with a flush
        # JSON text of a metric key -> its pending (step, ts, value) points; the lists are never
        # rebound either (a Run's hot path appends to them), only emptied.
        self._series: Dict[str, List[Tuple[int, int, float]]] = {}
        # Keys whose few points the background thread left pending -> when it first did.
        self._held: Dict[str, float] = {}
        self._chunks: Deque[bytes] = collections.deque()  # encoded whole lines, oldest first
        self._pending_bytes = 0
        self._mid_line = False
        self._mid_points = 1
        self._write_lock = threading.Lock()  # one flush at a time, so lines keep their order
        self._failing: Optional[str] = None  # why writing fails, while it does
        self._last_failure: Optional[str] = None
        self._delay = FLUSH_INTERVAL
        self._retry_at = 0.0
        self._dropped = 0
        self._unsynced = False
        self._synced_at = time.monotonic()
        self._folder_synced = False
        self._closed = False
        _register(self)

    def append(self, line: str) -> None:
        """Queues one complete line (ending in ``\\n``) for writing."""
        lines = self._lines
        lines.append(line)
        if len(lines) >= self.flush_lines:
            self._on_full()

    def series(self, key_json: str) -> List[Tuple[int, int, float]]:
        """The pending points of a metric key (its JSON text), to append (step, ts, value) to;
        written as batched lines. Call it under a lock that keeps two threads from creating one key."""
        return self._series.setdefault(key_json, [])

    def _on_full(self) -> None:
        if self._failing is None:
            # Written by the caller so memory stays bounded however fast lines come.
            self.flush(sync=False)
        else:
            # While the file system refuses, only the background thread retries; the caller
            # encodes what is queued (once) and keeps it under the cap.
            with self._write_lock:
                self._take_lines()
                self._enforce_cap()

    def flush(self, sync: bool = True, retry: bool = True, hold: bool = False) -> bool:
        """Writes every queued line (and fsyncs, with ``sync``). Returns False when the write failed
        (the lines stay queued). ``retry=False`` waits for the back-off of a failing journal.
        ``hold`` (the background thread) lets a key's few, recent points wait (``POINT_DELAY``)."""
        with self._write_lock:
            self._take_lines(hold)
            if self._failing is not None and not retry and time.monotonic() < self._retry_at:
                self._enforce_cap()
                return False
            return self._write_pending(sync)

    def close(self) -> bool:
        """Flushes and fsyncs; a journal whose final flush failed stays with the background thread."""
        self._closed = True
        done = self.flush(sync=True)
        if done:
            if FSYNC and not self._folder_synced:
                _fsync_folder(os.path.dirname(self.path))
                self._folder_synced = True
            message = self.lost_message()
            if message:  # points dropped while it failed: still to be said at exit
                _lost.append(message)
            _unregister(self)
        return done

    @property
    def pending(self) -> int:
        """Events waiting to be written, a metric point each (a partly written line counts); for
        tests and diagnostics."""
        queued = len(self._lines) + sum(len(points) for points in list(self._series.values()))
        lines = [line for chunk in self._chunks for line in chunk.split(b"\n") if line]
        if lines and self._mid_line:  # the rest of a line cut short: its points are still pending
            return queued + self._mid_points + sum(line_points(line) for line in lines[1:])
        return queued + sum(line_points(line) for line in lines)

    @property
    def pending_bytes(self) -> int:
        return self._pending_bytes + sum(len(line) for line in self._lines[:])

    @property
    def dropped(self) -> int:
        """Metric points dropped to bound memory while the journal could not be written."""
        return self._dropped

    @property
    def failure(self) -> Optional[str]:
        """Why the last write failed, while writes fail."""
        return self._failing

    def _take_points(self, hold: bool = False) -> List[str]:
        """Encodes the pending points as batched lines (the write lock is held). With ``hold``, a
        key with fewer than ``HOLD_POINTS`` points waits until they were seen pending ``POINT_DELAY``
        ago."""
        parts = []
        held = self._held
        now = time.monotonic()
        for key_json, points in list(self._series.items()):
            count = len(points)
            if not count:
                continue
            if hold and count < HOLD_POINTS:
                since = held.setdefault(key_json, now)
                if now - since < POINT_DELAY:
                    continue
            held.pop(key_json, None)
            taken = points[:count]
            del points[:count]
            parts.append(encode_points(key_json, taken))
        return parts

    def queue_points(self) -> None:
        """Queues the pending points as lines now, so that a line appended next (a run's end) comes
        after them."""
        with self._write_lock:
            self._lines.extend(self._take_points())

    def _take_lines(self, hold: bool = False) -> None:
        """Encodes the queued lines, then the pending points, into one chunk (the write lock is
        held). Where a point stands among other events has no meaning; a run's end is queued after
        its points (``queue_points``)."""
        lines = self._lines
        count = len(lines)
        parts = lines[:count]
        del lines[:count]
        parts.extend(self._take_points(hold))
        if not parts:
            return
        data = _encode("".join(parts))
        self._chunks.append(data)
        self._pending_bytes += len(data)

    def _write_pending(self, sync: bool, carrying: bool = False) -> bool:
        chunks = self._chunks
        due = FSYNC and self._unsynced and (sync or time.monotonic() - self._synced_at >= FSYNC_INTERVAL)
        if not chunks and not due:
            return True
        try:
            fd = os.open(self.path, _OPEN_FLAGS, 0o666)
        except OSError as exc:
            return self._failed(_reason(exc))
        whole: List[bytes] = []  # chunks written whole by this call
        stranded: List[bytes] = []
        try:
            error = None
            if chunks and not self._mid_line:
                try:
                    fresh = _ends_line(fd)
                except OSError as exc:
                    fresh, error = True, _reason(exc)
                if not fresh:
                    error = _write_all(fd, b"\n")[1]
            while chunks and error is None:
                chunk = chunks[0]
                written, error = _write_all(fd, chunk)
                self._pending_bytes -= written
                if written == len(chunk):
                    whole.append(chunk)
                    chunks.popleft()
                    self._mid_line = False
                    self._unsynced = True
                elif written > 0:
                    chunks[0] = chunk[written:]
                    start = chunk.rfind(b"\n", 0, written) + 1
                    if chunk[written - 1] != 0x0A and (start > 0 or not self._mid_line):
                        # The points of the line cut short, for counting what is still pending.
                        self._mid_points = line_points(chunk[start:chunk.find(b"\n", written)])
                    self._mid_line = chunk[written - 1] != 0x0A
                    self._unsynced = True
                del chunk
            if error is None and FSYNC and self._unsynced and (
                    sync or time.monotonic() - self._synced_at >= FSYNC_INTERVAL):
                try:
                    os.fsync(fd)
                    self._unsynced = False
                    self._synced_at = time.monotonic()
                except OSError as exc:
                    error = _reason(exc)
            if whole and not carrying:
                stranded = _stranded(fd, self.path, whole)
        finally:
            try:
                os.close(fd)
            except OSError:
                pass
        if stranded:
            # Written to a journal compaction replaced, after its replacer stopped carrying lines
            # over: they go first to the journal now at the path (a compacted one is never replaced).
            chunks.extendleft(reversed(stranded))
            self._pending_bytes += sum(len(chunk) for chunk in stranded)
            return self._write_pending(sync, carrying=True)
        if error is not None:
            return self._failed(error)
        if self._failing is not None:
            self._failing = None
            self._delay = FLUSH_INTERVAL
            dropped = " (%d metric points were dropped meanwhile to bound memory)" % self._dropped \
                if self._dropped else ""
            warn("writing %s works again%s" % (self.path, dropped))
        return True

    def _failed(self, reason: str) -> bool:
        if self._failing is None:
            warn("could not write %s: %s; will keep trying" % (self.path, reason))
        else:
            self._delay = min(self._delay * 2, MAX_RETRY_DELAY)
        self._failing = self._last_failure = reason
        self._retry_at = time.monotonic() + self._delay
        self._enforce_cap()
        return False

    def _enforce_cap(self) -> None:
        """Past ``max_buffer`` bytes, drops the oldest metric lines down to 3/4 of the cap (the write
        lock is held; lines appended meanwhile are kept; a line partly in the file is kept)."""
        if self._pending_bytes <= self.max_buffer:
            return
        excess = self._pending_bytes - self.max_buffer * 3 // 4
        dropped = 0
        kept: Deque[bytes] = collections.deque()
        for index, chunk in enumerate(self._chunks):
            if excess <= 0:
                kept.append(chunk)
                continue
            lines = chunk.split(b"\n")
            tail = lines.pop()  # b"" for a chunk of whole lines
            survivors = []
            for number, line in enumerate(lines):
                partly_written = index == 0 and number == 0 and self._mid_line
                if excess > 0 and not partly_written and line.startswith((_METRIC_LINE_START, _BATCH_LINE_START)):
                    excess -= len(line) + 1
                    self._pending_bytes -= len(line) + 1
                    dropped += line_points(line)
                else:
                    survivors.append(line)
            if survivors or tail:
                kept.append(b"\n".join(survivors) + b"\n" + tail if survivors else tail)
        self._chunks = kept
        if dropped and not self._dropped:
            warn("%s has been unwritable for a while; dropping the oldest pending metric points to keep "
                 "memory under %d MB" % (self.path, self.max_buffer >> 20))
        self._dropped += dropped

    def lost_message(self) -> Optional[str]:
        """What is lost if the process ends now: None when everything was written."""
        pending = self.pending
        if not pending and not self._dropped:
            return None
        parts = []
        if pending:
            parts.append("%d event(s) could not be written" % pending)
        if self._dropped:
            parts.append("%d metric point(s) were dropped to bound memory" % self._dropped)
        return "run %s lost %d event(s): %s to %s (%s)" % (
            self.label, pending + self._dropped, " and ".join(parts), self.path, self._last_failure or "unknown")

    def _reset_after_fork(self) -> None:
        """In a forked child: forget the parent's queued lines (the parent writes them)."""
        self._write_lock = threading.Lock()
        del self._lines[:]
        for points in self._series.values():
            del points[:]
        self._held.clear()
        self._chunks = collections.deque()
        self._pending_bytes = 0
        self._mid_line = False


# --- the per-process background writer ------------------------------------------------------

_journals: List[Journal] = []
_lost: List[str] = []  # what journals closed since lost (dropped points), said again at exit
_registry_lock = threading.Lock()
_flusher: Optional[threading.Thread] = None
_stop = threading.Event()


def _register(journal: Journal) -> None:
    with _registry_lock:
        _journals.append(journal)
        _ensure_flusher()


def _unregister(journal: Journal) -> None:
    with _registry_lock:
        if journal in _journals:
            _journals.remove(journal)


def _ensure_flusher() -> None:
    """Starts the background writer unless it is running (the registry lock is held)."""
    global _flusher
    if _flusher is not None and _flusher.is_alive():
        return
    _stop.clear()
    _flusher = threading.Thread(target=_flush_loop, name="runlog-flusher", daemon=True)
    _flusher.start()


def _flush_loop() -> None:
    deadline = time.monotonic()
    while True:
        deadline += FLUSH_INTERVAL
        delay = deadline - time.monotonic()
        if delay < 0:  # a slow flush: start the next period from now
            deadline = time.monotonic()
            delay = 0
        if _stop.wait(delay):
            return
        flush_all(sync=False, retry=False, hold=True)


def flush_all(sync: bool = True, retry: bool = True, hold: bool = False) -> bool:
    """Flushes every journal of this process; closed journals leave once written. True if all wrote."""
    with _registry_lock:
        journals = list(_journals)
    ok = True
    for journal in journals:
        try:
            done = journal.flush(sync=sync, retry=retry, hold=hold)
        except Exception as exc:  # noqa: BLE001 - the writer thread must never die
            warn("unexpected error writing %s: %r" % (journal.path, exc))
            done = False
        if done and journal._closed:
            _unregister(journal)
        ok = ok and done
    return ok


def failures() -> List[str]:
    """One line per journal of this process that has not written everything (pending or dropped)."""
    with _registry_lock:
        journals = list(_journals)
    return _lost + [message for message in (journal.lost_message() for journal in journals) if message]


def shutdown() -> None:
    """At interpreter exit: stop the background thread, write what is left, and say what is lost."""
    _stop.set()
    flush_all()
    for message in failures():
        warn(message)


def _after_fork_in_child() -> None:
    """A forked child keeps logging into the same files but must not write the parent's lines."""
    global _registry_lock, _flusher, _stop
    # Locks and events may have been held by a parent thread that does not exist here.
    _registry_lock = threading.Lock()
    _stop = threading.Event()
    _flusher = None
    _journals[:] = [journal for journal in _journals if not journal._closed]
    del _lost[:]
    for journal in _journals:
        journal._reset_after_fork()
    if _journals:
        _ensure_flusher()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
