"""Journal writing: background flushes, I/O failures, partial writes, threads and fork."""

import errno
import json
import os
import shutil
import sys
import threading
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_events, runlog  # noqa: E402
from runlog import _journal  # noqa: E402


def journal_path(run):
    return os.path.join(run.dir, "events.jsonl")


def raw_lines(run):
    with open(journal_path(run), "rb") as handle:
        return handle.read().split(b"\n")


class FlushTest(support.ClientTest):
    def test_a_reader_sees_a_metric_within_the_points_delay(self):
        self.use_store()
        run = runlog.start_run()
        runlog.log_metric("loss", 0.25)
        time.sleep(_journal.POINT_DELAY + 3 * _journal.FLUSH_INTERVAL)
        events = read_events(run.dir)  # run_end not written yet
        self.assertEqual(of_type(events, "run_end"), [])
        self.assertEqual([e["value"] for e in of_type(events, "metric")], [0.25])

    def test_a_slow_loops_points_share_lines_and_a_fast_loops_are_not_held(self):
        self.use_store()
        run = runlog.start_run()
        started = time.monotonic()
        logged = []
        while time.monotonic() - started < 1.2:  # ~40 steps/s, one key: a few points per 100 ms
            runlog.log_metric("slow", 1.0)
            logged.append(time.monotonic())
            time.sleep(0.025)
        ended = time.monotonic()
        # read within the same tick: what the background thread wrote while the loop ran
        lines = [line for line in raw_lines(run) if line.startswith(b'{"t":"metrics"')]
        written = sum(_journal.line_points(line) for line in lines)
        overdue = sum(1 for at in logged if ended - at > _journal.POINT_DELAY + 4 * _journal.FLUSH_INTERVAL)
        self.assertGreaterEqual(written, overdue, "points logged long enough ago are in the file")
        # Without holding, every 100 ms tick writes a line (12 here); held, a line spans 0.3 s.
        self.assertLessEqual(len(lines), 6, lines)
        self.assertGreater(len(lines), 0)
        for step in range(_journal.HOLD_POINTS):
            runlog.log_metric("fast", float(step))
        time.sleep(2 * _journal.FLUSH_INTERVAL)
        fast = [line for line in raw_lines(run) if b'"key":"fast"' in line]
        self.assertEqual(sum(_journal.line_points(line) for line in fast), _journal.HOLD_POINTS)
        runlog.end_run()
        self.assertEqual(len(of_type(read_events(run.dir), "metric")), len(logged) + _journal.HOLD_POINTS)

    def test_a_large_buffer_is_written_by_the_logging_call(self):
        self.use_store()
        run = runlog.start_run()
        run._journal.flush_lines = run._flush_lines = 50
        for step in range(120):
            runlog.log_metric("x", step)
        self.assertLess(run._journal.pending, 50)  # written without waiting for the thread
        runlog.end_run()
        self.assertEqual(len(of_type(read_events(run.dir), "metric")), 120)

    def test_concurrent_threads_lose_and_duplicate_nothing(self):
        self.use_store()
        run = runlog.start_run()
        run._journal.flush_lines = run._flush_lines = 100  # many flushes racing with appends

        def work(name):
            for _ in range(3000):
                runlog.log_metric(name, 1.0)
                runlog.log_metric("shared", 2.0)

        threads = [threading.Thread(target=work, args=("k%d" % i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        runlog.end_run()
        metrics = of_type(read_events(run.dir), "metric")
        self.assertEqual(len(metrics), 24000)
        for key in ("k0", "k1", "k2", "k3"):
            self.assertEqual([m["step"] for m in metrics if m["key"] == key], list(range(3000)))
        self.assertEqual(sorted(m["step"] for m in metrics if m["key"] == "shared"), list(range(12000)))


class FailureTest(support.ClientTest):
    def block(self, run):
        """Makes the journal unwritable: a folder takes the file's place (root ignores chmod).
        The write lock keeps the background thread from writing while the file is swapped."""
        runlog.flush()
        with run._journal._write_lock:
            os.rename(journal_path(run), journal_path(run) + ".saved")
            os.mkdir(journal_path(run))

    def unblock(self, run):
        with run._journal._write_lock:
            os.rmdir(journal_path(run))
            os.rename(journal_path(run) + ".saved", journal_path(run))

    def test_an_unwritable_journal_warns_once_and_catches_up_later(self):
        self.use_store()
        run = runlog.start_run()
        runlog.log_metric("loss", 1)
        self.block(run)
        with self.captured_stderr() as stderr:
            for step in range(5):
                runlog.log_metric("loss", step + 2)
                self.assertFalse(runlog.flush())
            time.sleep(0.25)  # the background thread retries too
            runlog.set_tag("still", "going")
        warnings = stderr.getvalue().splitlines()
        self.assertEqual(len(warnings), 1, warnings)
        self.assertRegex(warnings[0], r"^runlog: could not write .*events\.jsonl: .+; will keep trying$")
        self.unblock(run)
        with self.captured_stderr() as stderr:
            self.assertTrue(runlog.flush())
        self.assertIn("works again", stderr.getvalue())
        runlog.end_run()
        events = read_events(run.dir)
        self.assertEqual([m["value"] for m in of_type(events, "metric")], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        self.assertEqual(events[-1]["t"], "run_end")

    def test_a_deleted_run_folder_does_not_stop_the_training(self):
        self.use_store()
        run = runlog.start_run()
        runlog.flush()
        shutil.rmtree(run.dir)
        with self.captured_stderr() as stderr:
            for step in range(100):
                runlog.log_metric("loss", step)
            runlog.end_run()  # the final flush fails too: reported, not raised
        self.assertEqual(stderr.getvalue().count("could not write"), 1)
        self.assertIsNone(runlog.active_run())

    def test_a_write_cut_short_mid_line_is_completed_without_duplicates(self):
        self.use_store()
        run = runlog.start_run()
        runlog.flush()
        real_write = os.write
        calls = []

        def short_then_fail(fd, data):
            calls.append(len(data))
            if len(calls) == 1:
                return real_write(fd, bytes(data[:100]))  # part of the batch, ending mid-line
            raise OSError(errno.ENOSPC, "No space left on device")

        for step in range(5):
            runlog.log_metric("a-rather-long-metric-name", step)
        _journal.os.write = short_then_fail
        try:
            with self.captured_stderr() as stderr:
                self.assertFalse(runlog.flush())
        finally:
            _journal.os.write = real_write
        self.assertIn("No space left on device", stderr.getvalue())
        self.assertFalse(raw_lines(run)[-1].endswith(b"}"))  # the file ends mid-line for now
        runlog.log_metric("a-rather-long-metric-name", 5)
        with self.captured_stderr():
            self.assertTrue(runlog.flush())
        runlog.end_run()
        steps = [m["step"] for m in of_type(read_events(run.dir), "metric")]
        self.assertEqual(steps, [0, 1, 2, 3, 4, 5])

    def test_memory_is_capped_by_dropping_the_oldest_metrics_once_reported(self):
        self.use_store()
        run = runlog.start_run()
        run._journal.max_buffer = 20000
        run._journal.flush_lines = run._flush_lines = 100
        self.block(run)
        with self.captured_stderr() as stderr:
            runlog.set_tag("important", "kept")
            for step in range(2000):
                runlog.log_metric("loss", step)
            runlog.flush()
        self.assertEqual(stderr.getvalue().count("dropping the oldest"), 1)
        self.assertLessEqual(run._journal.pending_bytes, 20000)
        self.unblock(run)
        with self.captured_stderr():
            runlog.end_run()
        events = read_events(run.dir)
        steps = [m["step"] for m in of_type(events, "metric")]
        self.assertEqual(steps[-1], 1999)  # the newest points survive
        self.assertLess(len(steps), 2000)
        self.assertEqual(steps, sorted(steps))
        self.assertIn(("important", "kept"), [(t["key"], t["value"]) for t in of_type(events, "tag")])
        self.assertEqual(events[-1]["t"], "run_end")


@unittest.skipUnless(hasattr(os, "fork"), "no fork on this platform")
class ReplacedJournalTest(support.ClientTest):
    """Compaction renames a new journal over a finished run's while a client that resumed the run
    may have the old one open (docs/JOURNAL.md, "Replacing a journal"). The replacer carries the old
    file's lines over up to the ``moved`` line it appends there; what lands after it, the client
    writes again to the new journal, once."""

    def replace_when_opened(self, run, moved):
        """Makes the client's next open of its journal happen just before a replacement: the new
        file (a compacted copy of what was there) renamed over it, then, when ``moved``, the moved
        line appended to the old file. The client's write then lands in the old file."""
        path = journal_path(run)
        real_open = os.open
        done = []

        def open_then_replace(file, flags, mode=0o777, **kwargs):
            fd = real_open(file, flags, mode, **kwargs)
            if file == path and not done:
                done.append(True)
                with open(path, "rb") as handle:
                    head = handle.read()
                with open(path + ".new", "wb") as handle:
                    handle.write(b'{"t":"compacted","ts":1,"generation":"g"}\n' + head)
                old = real_open(path, os.O_WRONLY | os.O_APPEND)
                os.rename(path + ".new", path)
                if moved:
                    os.write(old, b'{"t":"moved","ts":2}\n')
                os.close(old)
            return fd

        _journal.os.open = open_then_replace
        self.addCleanup(setattr, _journal.os, "open", real_open)
        return done

    def test_lines_written_after_the_moved_line_are_written_again_to_the_new_journal(self):
        self.use_store()
        run = runlog.start_run()
        runlog.log_param("lr", 0.1)
        runlog.flush()
        done = self.replace_when_opened(run, moved=True)
        runlog.set_tag("late", "after the move")
        runlog.log_metric("loss", 0.5, step=3)
        self.assertTrue(runlog.flush())
        self.assertEqual(done, [True])
        text = b"\n".join(raw_lines(run))
        self.assertTrue(text.startswith(b'{"t":"compacted"'))
        self.assertEqual(text.count(b'"key":"late"'), 1)
        runlog.end_run()
        events = [json.loads(line) for line in raw_lines(run)[1:] if line]
        self.assertEqual([t["value"] for t in of_type(events, "tag") if t["key"] == "late"], ["after the move"])
        points = [_journal.decode_points(e) for e in of_type(events, "metrics")]
        self.assertEqual([(p[0], p[1], p[3]) for p in points if p], [("loss", [3], [0.5])])
        self.assertEqual(events[-1]["t"], "run_end")

    def test_lines_written_before_the_moved_line_are_left_to_the_replacer(self):
        self.use_store()
        run = runlog.start_run()
        runlog.flush()
        self.replace_when_opened(run, moved=False)
        runlog.set_tag("early", "before the move")
        self.assertTrue(runlog.flush())
        # Not in the new journal: the replacer copies it when it writes the moved line after it.
        self.assertNotIn(b'"key":"early"', b"\n".join(raw_lines(run)))
        runlog.end_run()


class ForkTest(support.ClientTest):
    def test_a_forked_child_writes_its_own_lines_not_the_parents(self):
        self.use_store()
        run = runlog.start_run()
        for step in range(1000):
            runlog.log_metric("parent", step)
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking a process that has threads (our background writer).
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: log, write, leave without running any cleanup
            code = 1
            try:
                runlog.log_metric("child", 1)
                code = 0 if runlog.flush() else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(status, 0)
        runlog.end_run()
        events = read_events(run.dir)
        self.assertEqual([m["step"] for m in events if m.get("key") == "parent"], list(range(1000)))
        self.assertEqual(len([m for m in events if m.get("key") == "child"]), 1)
        self.assertEqual(len(of_type(events, "run_end")), 1)


class CompatibilityTest(unittest.TestCase):
    def test_the_client_parses_as_python_3_8(self):
        import ast

        folder = os.path.join(support.CLIENT, "runlog")
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    ast.parse(handle.read(), filename=name, feature_version=(3, 8))


if __name__ == "__main__":
    unittest.main()
