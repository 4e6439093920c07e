"""Buffered, append-only writing of run journals (``events.jsonl``, see docs/JOURNAL.md).

Logging calls only append a finished line to an in-memory list; one daemon thread per process
appends every journal's pending lines to its file at least every 100 ms, and a journal whose
buffer grows past ``FLUSH_LINES`` is written at once by the caller. A write that fails (disk
full, permission denied, folder deleted) never raises: the lines stay buffered and are retried on
the next flush, with one warning on stderr per failure episode.
"""

import errno
import json
import os
import sys
import threading
import time
from typing import List, Optional, Tuple

# How often the background thread writes pending lines.
FLUSH_INTERVAL = 0.1
# Above this many buffered lines (about 1 MB of metric lines) the logging call itself writes them.
FLUSH_LINES = 16384
# While writes fail, the buffer may grow to this many characters; beyond it the oldest metric
# points are dropped (every other event is small and too important to lose).
MAX_BUFFER = 64 << 20

_METRIC_LINE_START = '{"t":"metric"'
_OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)


def now_ms() -> int:
    """Wall time in whole milliseconds since the Unix epoch, as every event's ``ts``."""
    return time.time_ns() // 1000000


def encode_event(t: str, fields: dict, ts: Optional[int] = None) -> str:
    """One journal line (with its ``\\n``) for an event of type ``t``; ``t`` and ``ts`` come first."""
    event = {"t": t, "ts": now_ms() if ts is None else ts}
    event.update(fields)
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


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


def _append_bytes(path: str, data: bytes) -> Tuple[int, Optional[OSError]]:
    """Appends ``data`` to ``path``; returns how many bytes reached the file and the error, if any."""
    written = 0
    try:
        fd = os.open(path, _OPEN_FLAGS, 0o666)
    except OSError as exc:
        return 0, exc
    try:
        view = memoryview(data)
        while written < len(data):
            count = os.write(fd, view[written:])
            if count <= 0:
                raise OSError(errno.EIO, "the write made no progress")
            written += count
        return written, None
    except OSError as exc:
        return written, exc
    finally:
        try:
            os.close(fd)
        except OSError:
            pass


class Journal:
    """The buffered writer of one ``events.jsonl``.

    ``append`` is cheap and thread-safe without a lock: ``list.append``, slicing and slice
    deletion are each atomic under the GIL, so ``flush`` takes the first ``n`` lines and then
    deletes exactly those, and a line appended meanwhile stays queued. ``flush`` writes whole lines
    with one ``write`` call; if the file system refuses, what did not reach the file stays queued,
    in order, for the next flush. A write cut short mid-line leaves the rest of that line as
    ``_head``, written first next time, so the file never gets a line twice or a broken one.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.flush_lines = FLUSH_LINES
        self.max_buffer = MAX_BUFFER
        self._lines: List[str] = []  # never rebound: appends may race with a flush
        self._head = b""
        self._write_lock = threading.Lock()  # one flush at a time, so lines keep their order
        self._failing = False
        self._dropped = 0
        self._closed = False
        _register(self)

    def append(self, line: str) -> None:
        """Queues one complete line (ending in ``\\n``) for writing."""
        lines = self._lines
        lines.append(line)
        if len(lines) >= self.flush_lines:
            self._on_full()

    def _on_full(self) -> None:
        if not self._failing:
            # Written by the caller so memory stays bounded however fast lines come.
            self.flush()
        elif len(self._lines) % self.flush_lines == 0:
            # While the file system refuses, only the background thread retries (every
            # FLUSH_INTERVAL); the caller merely keeps the buffer under its cap.
            with self._write_lock:
                self._enforce_cap()

    def flush(self) -> bool:
        """Writes every queued line. Returns False when the write failed (the lines stay queued)."""
        with self._write_lock:
            lines = self._lines
            count = len(lines)
            if not count and not self._head:
                return True
            batch = lines[:count]
            del lines[:count]
            head = self._head
            data = head + _encode("".join(batch))
            written, error = _append_bytes(self.path, data)
            if error is None:
                self._head = b""
                if self._failing:
                    self._failing = False
                    warn("writing %s works again" % self.path)
                return True
            self._requeue(batch, head, written)
            if not self._failing:
                self._failing = True
                reason = error.strerror or str(error)
                warn("could not write %s: %s; will keep trying" % (self.path, reason))
            self._enforce_cap()
            return False

    def close(self) -> bool:
        """Flushes; a journal whose final flush failed stays with the background thread to retry."""
        self._closed = True
        done = self.flush()
        if done:
            _unregister(self)
        return done

    @property
    def pending(self) -> int:
        """Lines (and a partly written line) waiting to be written; for tests and diagnostics."""
        return len(self._lines) + (1 if self._head else 0)

    def _requeue(self, batch: List[str], head: bytes, written: int) -> None:
        """Puts back what a failed write did not get into the file, keeping the order."""
        if written < len(head):
            self._head = head[written:]
            rest = batch
        else:
            written -= len(head)
            index = 0
            while index < len(batch) and written > 0:
                encoded = _encode(batch[index])
                if written < len(encoded):
                    break
                written -= len(encoded)
                index += 1
            if written > 0:
                # The file ends in the middle of batch[index]: its tail must come next.
                self._head = _encode(batch[index])[written:]
                index += 1
            else:
                self._head = b""
            rest = batch[index:]
        self._lines[:0] = rest

    def _enforce_cap(self) -> None:
        """Past ``max_buffer`` characters, drops the oldest metric lines down to 3/4 of the cap
        (the write lock is held; lines appended meanwhile are kept)."""
        lines = self._lines
        count = len(lines)
        snapshot = lines[:count]
        size = sum(len(line) for line in snapshot)
        if size <= self.max_buffer:
            return
        excess = size - self.max_buffer * 3 // 4
        kept = []
        dropped = 0
        for line in snapshot:
            if excess > 0 and line.startswith(_METRIC_LINE_START):
                excess -= len(line)
                dropped += 1
            else:
                kept.append(line)
        lines[:count] = kept
        if dropped and not self._dropped:
            warn(
                "%s has been unwritable for a while; dropping the oldest buffered metric points "
                "to bound memory" % self.path
            )
        self._dropped += dropped

    def _reset_after_fork(self) -> None:
        """In a forked child: forget the parent's queued lines (the parent writes them)."""
        self._write_lock = threading.Lock()
        del self._lines[:]
        self._head = b""


# --- the per-process background writer ------------------------------------------------------

_journals: List[Journal] = []
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
        flush_all()


def flush_all() -> bool:
    """Flushes every journal of this process; closed journals leave once written. True if all wrote."""
    with _registry_lock:
        journals = list(_journals)
    ok = True
    for journal in journals:
        try:
            done = journal.flush()
        except Exception as exc:  # noqa: BLE001 - the writer thread must never die
            warn("unexpected error writing %s: %r" % (journal.path, exc))
            done = False
        if done and journal._closed:
            _unregister(journal)
        ok = ok and done
    return ok


def shutdown() -> None:
    """At interpreter exit: stop the background thread and write what is left."""
    _stop.set()
    flush_all()


def _after_fork_in_child() -> None:
    """A forked child keeps logging into the same files but must not write the parent's lines."""
    global _registry_lock, _flusher, _stop
    # Locks and events may have been held by a parent thread that does not exist here.
    _registry_lock = threading.Lock()
    _stop = threading.Event()
    _flusher = None
    _journals[:] = [journal for journal in _journals if not journal._closed]
    for journal in _journals:
        journal._reset_after_fork()
    if _journals:
        _ensure_flusher()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
