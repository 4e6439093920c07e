"""What the client guarantees when things go wrong: write-once params between processes, MLflow's
limits, fresh lines after a cut-off one, I/O errors, bounded memory, and saying what was lost."""

import json
import os
import subprocess
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_events, runlog  # noqa: E402


def start_editor_run(store, run_id="editor-run", params=None):
    """A journal as the editor's launcher writes it (run_start, params, their claims)."""
    folder = os.path.join(store, "runs", run_id)
    os.makedirs(folder)
    lines = ['{"t":"run_start","ts":1,"run_id":"%s","name":"n","experiment":"e"}\n' % run_id]
    from runlog import _claims
    for key, value in (params or {}).items():
        _claims.claim(folder, key, value)
        lines.append('{"t":"param","ts":1,"key":"%s","value":"%s"}\n' % (key, value))
    with open(os.path.join(folder, "events.jsonl"), "w", encoding="utf-8") as handle:
        handle.write("".join(lines))
    return folder


class WriteOnceBetweenProcessesTest(support.ClientTest):
    def test_processes_joined_to_one_run_race_on_a_param_and_one_value_wins(self):
        store = self.use_store()
        folder = start_editor_run(store)
        script = textwrap.dedent("""
            import os, sys, time, runlog
            while time.time() < float(os.environ["GO"]):
                pass
            try:
                runlog.log_param("lr", os.environ["VALUE"])
            except ValueError:
                sys.exit(3)
        """)
        go = str(__import__("time").time() + 1.0)
        env = dict(os.environ, PYTHONPATH=support.CLIENT, RUNLOG_RUN_ID="editor-run", GO=go)
        children = [subprocess.Popen([sys.executable, "-c", script], env=dict(env, VALUE=str(i)))
                    for i in range(6)]
        codes = [child.wait(timeout=60) for child in children]
        self.assertEqual(sorted(codes), [0, 3, 3, 3, 3, 3], codes)
        winner = str(codes.index(0))
        params = [(p["key"], p["value"]) for p in of_type(read_events(folder), "param")]
        self.assertEqual(params, [("lr", winner)])

    def test_a_param_the_editor_claimed_is_write_once_for_the_script(self):
        store = self.use_store()
        start_editor_run(store, params={"lr": "0.1"})
        os.environ["RUNLOG_RUN_ID"] = "editor-run"
        run = runlog.start_run()
        runlog.log_param("lr", "0.1")
        with self.assertRaisesRegex(ValueError, "already '0.1'"):
            runlog.log_param("lr", "0.2")
        run._params.clear()  # as a second process would see it: only the claim says so
        with self.assertRaisesRegex(ValueError, "already '0.1'"):
            runlog.log_param("lr", "0.3")


class LimitsTest(support.ClientTest):
    def test_keys_and_values_over_mlflows_limits_are_refused_and_nothing_is_written(self):
        self.use_store()
        run = runlog.start_run()
        with self.assertRaisesRegex(ValueError, "at most 6000 characters, not 40000000"):
            runlog.log_param("big", "x" * 40000000)
        with self.assertRaisesRegex(ValueError, "at most 8000 characters"):
            runlog.set_tag("note", "y" * 8001)
        with self.assertRaisesRegex(ValueError, "at most 250 characters"):
            runlog.log_metric("k" * 251, 1.0)
        runlog.log_param("fits", "x" * 6000)
        runlog.set_tag("fits", "y" * 8000)
        runlog.end_run()
        events = read_events(run.dir)
        self.assertEqual([p["key"] for p in of_type(events, "param")], ["fits"])
        self.assertEqual([t["key"] for t in of_type(events, "tag") if t["key"] != "runlog.git"], ["fits"])
        self.assertEqual(events[-1]["t"], "run_end")


# --- an injected file-system fault, for the paths under one folder ---------------------------

import builtins  # noqa: E402
import contextlib  # noqa: E402
import errno  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

from runlog import _journal  # noqa: E402


@contextlib.contextmanager
def failing_store(store, code=errno.EROFS, reads=False):
    """Every open for writing (or any open, with ``reads``) and every mkdir under ``store`` fails
    with ``code``, the way a read-only or full file system refuses: root ignores chmod, so the
    fault is injected at the os layer."""
    store = os.path.realpath(store)
    real_open, real_os_open, real_makedirs, real_mkdir = builtins.open, os.open, os.makedirs, os.mkdir

    def under(path):
        try:
            return os.path.realpath(os.fspath(path)).startswith(store + os.sep)
        except TypeError:
            return False

    def refuse(path):
        raise OSError(code, os.strerror(code), os.fspath(path))

    def fake_open(file, mode="r", *args, **kwargs):
        if under(file) and (reads or any(flag in mode for flag in "wax+")):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(path, flags, *args, **kwargs):
        if under(path) and (reads or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def fake_makedirs(path, *args, **kwargs):
        if under(path) and not os.path.isdir(path):
            refuse(path)
        return real_makedirs(path, *args, **kwargs)

    def fake_mkdir(path, *args, **kwargs):
        if under(path):
            refuse(path)
        return real_mkdir(path, *args, **kwargs)

    builtins.open, os.open, os.makedirs, os.mkdir = fake_open, fake_os_open, fake_makedirs, fake_mkdir
    try:
        yield
    finally:
        builtins.open, os.open, os.makedirs, os.mkdir = real_open, real_os_open, real_makedirs, real_mkdir


class FreshLineTest(support.ClientTest):
    def test_a_client_joining_a_run_starts_after_a_cut_off_last_line(self):
        store = self.use_store()
        folder = start_editor_run(store)
        with open(os.path.join(folder, "events.jsonl"), "a", encoding="utf-8") as handle:
            handle.write('{"t":"metric","ts":2,"key":"m","val')
        os.environ["RUNLOG_RUN_ID"] = "editor-run"
        runlog.log_param("lr", "0.1")
        self.assertTrue(runlog.flush())
        with open(os.path.join(folder, "events.jsonl"), encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        self.assertEqual(lines[1], '{"t":"metric","ts":2,"key":"m","val')
        # Whatever the client writes first (its environment, then the param) starts on a line of its own.
        appended = [json.loads(line) for line in lines[2:] if line]
        self.assertTrue(appended)
        self.assertIn({"key": "lr", "value": "0.1"}, [{"key": e.get("key"), "value": e.get("value")} for e in appended if e["t"] == "param"])


class SymlinkTest(support.ClientTest):
    def test_a_client_does_not_join_a_run_whose_folder_is_a_symlink(self):
        store = self.use_store()
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.makedirs(elsewhere)
        os.makedirs(os.path.join(store, "runs"))
        os.symlink(elsewhere, os.path.join(store, "runs", "linked"))
        os.environ["RUNLOG_RUN_ID"] = "linked"
        with self.captured_stderr() as stderr:
            run = runlog.start_run()
            runlog.log_metric("loss", 1.0)
            runlog.end_run()
        self.assertIn("symbolic link", stderr.getvalue())
        self.assertNotEqual(run.id, "linked")
        self.assertEqual(os.listdir(elsewhere), [])


class StoreFailureTest(support.ClientTest):
    def test_logging_calls_never_raise_on_a_read_only_or_full_store(self):
        for code in (errno.EROFS, errno.ENOSPC):
            store = self.use_store()
            model = os.path.join(self.tmp, "model.pkl")
            with open(model, "wb") as handle:
                handle.write(b"weights")
            run = runlog.start_run()
            self.assertTrue(runlog.flush())
            with self.captured_stderr() as stderr, failing_store(store, code):
                runlog.log_param("lr", 0.1)
                runlog.set_tag("t", "v")
                runlog.log_metric("loss", 1.0)
                runlog.log_artifact(model)
                logged = runlog.log_model(model)
                self.assertEqual(logged.uri, "runs:/%s/model" % run.id)
                runlog.log_input(model)
                self.assertFalse(runlog.flush())
                runlog.end_run()
            self.assertIn(os.strerror(code), stderr.getvalue())
            with self.captured_stderr():
                support.reset_client()
            shutil_rmtree(store)

    def test_calls_whose_result_is_needed_raise_a_store_error_not_an_os_error(self):
        store = self.use_store()
        model = os.path.join(self.tmp, "model.pkl")
        with open(model, "wb") as handle:
            __import__("pickle").dump({"w": 1}, handle)
        with runlog.start_run():
            logged = runlog.log_model(model)
        version = runlog.register_model(logged, "m")
        with failing_store(store, errno.EROFS):
            with self.assertRaisesRegex(runlog.StoreError, r"runlog.register_model: .*Read-only file system"):
                runlog.register_model(logged, "m")
            with self.assertRaisesRegex(runlog.StoreError, r"runlog.set_alias: .*Read-only file system"):
                runlog.set_alias("m", "champion", version.version)
        with failing_store(store, errno.EACCES, reads=True):
            with self.assertRaisesRegex(runlog.StoreError, r"runlog.load_model: .*Permission denied"):
                runlog.load_model(logged.uri)
        self.assertEqual(runlog.load_model(logged.uri), {"w": 1})


def shutil_rmtree(path):
    __import__("shutil").rmtree(path, ignore_errors=True)


class BoundedMemoryTest(support.ClientTest):
    def test_an_unwritable_store_keeps_memory_under_the_cap_and_retries_with_back_off(self):
        store = self.use_store()
        run = runlog.start_run()
        journal = run._journal
        journal.max_buffer = 2 << 20
        self.assertTrue(runlog.flush())
        attempts = []
        with self.captured_stderr() as stderr, failing_store(store):
            inner = os.open

            def counting_open(path, flags, *args):
                if path == journal.path:
                    attempts.append(time.monotonic())
                return inner(path, flags, *args)

            os.open = counting_open
            tracemalloc.start()
            try:
                for step in range(300000):
                    runlog.log_metric("loss", step * 0.5)
                time.sleep(1.6)
                _current, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
                os.open = inner
        self.assertLessEqual(journal.pending_bytes, 2 << 20)
        self.assertGreater(journal.dropped, 0)
        self.assertLess(peak, 12 << 20, "peak %d bytes" % peak)
        # Each retry waits at least twice as long as the one before, up to the cap; a loaded machine
        # only stretches the gaps (their number grows with how long the loop took, so is not bounded).
        gaps = [round(later - earlier, 3) for earlier, later in zip(attempts, attempts[1:])]
        self.assertGreaterEqual(len(gaps), 3, "retries while the store refuses: %s" % gaps)
        for i, gap in enumerate(gaps):
            least = min(_journal.FLUSH_INTERVAL * 2**i, _journal.MAX_RETRY_DELAY) * 0.9
            self.assertGreaterEqual(gap, least, "retries back off: gaps %s" % gaps)
        self.assertEqual(stderr.getvalue().count("dropping the oldest"), 1)
        with self.captured_stderr():
            self.assertFalse(runlog.flush())  # written now, but points were dropped
            runlog.end_run()
        steps = [m["step"] for m in of_type(read_events(run.dir), "metric")]
        self.assertEqual(steps[-1], 299999)
        self.assertEqual(len(steps) + journal.dropped, 300000)


class LostAtExitTest(support.ClientTest):
    SCRIPT = textwrap.dedent("""
        import errno, os, runlog
        from runlog import _journal
        real_write = os.write
        budget = [int(os.environ["BUDGET"])]
        def full_disk(fd, data):
            if budget[0] <= 0:
                raise OSError(errno.ENOSPC, "No space left on device")
            data = bytes(data[:budget[0]])
            budget[0] -= len(data)
            return real_write(fd, data)
        run = runlog.start_run(name="doomed")
        runlog.flush()
        _journal.os.write = full_disk
        for step in range(20000):
            runlog.log_metric("loss", step)
        runlog.set_tag("phase", "done")
        print(runlog.flush())
        try:
            runlog.flush(raise_errors=True)
        except runlog.StoreError as exc:
            print("raised:", exc)
    """)

    def test_events_that_could_not_be_written_are_counted_on_stderr_at_exit(self):
        store = self.use_store()
        result = support.run_script(self.SCRIPT, self.tmp, {"RUNLOG_DIR": store, "BUDGET": "50000"})
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        out = result.stdout.decode().splitlines()
        self.assertEqual(out[0], "False")
        self.assertRegex(out[1], r"^raised: runlog.flush: run doomed \([0-9a-f]{32}\) lost \d+ event")
        stderr = result.stderr.decode()
        lost = __import__("re").findall(r"run doomed \(([0-9a-f]{32})\) lost (\d+) event\(s\): .*No space left", stderr)
        self.assertEqual(len(lost), 1, stderr)
        run_id, count = lost[0][0], int(lost[0][1])
        journal = os.path.join(store, "runs", run_id, "events.jsonl")
        written = [line for line in support.read_bytes(journal).split(b"\n")[:-1] if line.startswith(b"{")]
        metrics = sum(support._journal.line_points(line) for line in written
                      if line.startswith(b'{"t":"metric') and line.endswith(b"}"))
        # 20,000 points, the tag and run_end: what is not whole in the file is what was counted.
        self.assertEqual(count, 20000 - metrics + 2)


class FsyncPolicyTest(support.ClientTest):
    def test_fsync_at_run_end_and_on_flush_and_at_most_every_interval_while_running(self):
        self.use_store()
        calls = []
        real_fsync = os.fsync
        _journal.os.fsync = lambda fd: calls.append(fd) or real_fsync(fd)
        self.addCleanup(setattr, _journal.os, "fsync", real_fsync)
        run = runlog.start_run()
        start = time.monotonic()
        while time.monotonic() - start < 0.5:
            runlog.log_metric("loss", 1.0)
            time.sleep(0.01)
        self.assertEqual(calls, [], "no fsync within the interval while running")
        runlog.flush()
        self.assertEqual(len(calls), 1)
        runlog.log_metric("loss", 2.0)
        run.end()
        self.assertEqual(len(calls), 3)  # the journal, then its folder
