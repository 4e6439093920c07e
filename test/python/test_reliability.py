"""What the client guarantees when things go wrong: write-once params between processes, MLflow's
limits, fresh lines after a cut-off one, I/O errors, bounded memory, and saying what was lost."""

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
