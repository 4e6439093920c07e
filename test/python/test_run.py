"""Runs: starting, ending (context manager, nesting, exit), params, metrics and tags."""

import base64
import json
import math
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_events, runlog  # noqa: E402


class ContextManagerTest(support.ClientTest):
    def test_a_run_that_completes_ends_finished(self):
        self.use_store()
        with runlog.start_run(name="first", experiment="exp", params={"lr": 0.1}) as run:
            self.assertIs(runlog.active_run(), run)
            runlog.log_metric("loss", 0.5)
        self.assertIsNone(runlog.active_run())
        events = read_events(run.dir)
        start = events[0]
        self.assertEqual(start["t"], "run_start")
        self.assertEqual((start["run_id"], start["name"], start["experiment"]), (run.id, "first", "exp"))
        self.assertEqual(start["cwd"], self.tmp)
        self.assertNotIn("parent_run_id", start)
        self.assertRegex(run.id, r"^[0-9a-f]{32}$")
        self.assertEqual(events[-1]["t"], "run_end")
        self.assertEqual(events[-1]["status"], "FINISHED")
        self.assertNotIn("exit_code", events[-1])
        self.assertEqual(run.dir, os.path.join(self.tmp, "store", "runs", run.id))

    def test_an_escaping_exception_ends_the_run_failed_and_is_reraised(self):
        self.use_store()
        with self.assertRaises(ZeroDivisionError):
            with runlog.start_run() as run:
                1 / 0
        end = read_events(run.dir)[-1]
        self.assertEqual(end["status"], "FAILED")
        self.assertIn("ZeroDivisionError: division by zero", end["error"])
        self.assertTrue(end["error"].rstrip().endswith("division by zero"))
        self.assertNotIn("exit_code", end)
        self.assertEqual(run.status, "FAILED")

    def test_ctrl_c_ends_the_run_killed(self):
        self.use_store()
        with self.assertRaises(KeyboardInterrupt):
            with runlog.start_run() as run:
                raise KeyboardInterrupt()
        self.assertEqual(read_events(run.dir)[-1]["status"], "KILLED")

    def test_a_nested_run_is_a_child_of_the_active_run(self):
        self.use_store()
        with runlog.start_run(experiment="exp") as parent:
            with runlog.start_run(name="child") as child:
                self.assertIs(runlog.active_run(), child)
                runlog.log_metric("inner", 1)
            self.assertIs(runlog.active_run(), parent)
        start = read_events(child.dir)[0]
        self.assertEqual(start["parent_run_id"], parent.id)
        self.assertEqual(start["experiment"], "exp")
        self.assertEqual(child.store, parent.store)
        self.assertEqual(of_type(read_events(parent.dir), "metric"), [])

    def test_ending_a_parent_ends_its_children(self):
        self.use_store()
        parent = runlog.start_run()
        child = runlog.start_run()
        parent.end("KILLED")
        self.assertIsNone(runlog.active_run())
        self.assertEqual(read_events(child.dir)[-1]["status"], "KILLED")
        self.assertEqual(read_events(parent.dir)[-1]["status"], "KILLED")

    def test_end_run_checks_the_status_and_ignores_no_active_run(self):
        self.use_store()
        runlog.end_run()  # nothing active: nothing happens
        run = runlog.start_run()
        with self.assertRaises(ValueError):
            runlog.end_run("DONE")
        runlog.end_run("KILLED")
        runlog.end_run()
        self.assertEqual([e["status"] for e in of_type(read_events(run.dir), "run_end")], ["KILLED"])

    def test_logging_to_an_ended_run_raises(self):
        self.use_store()
        with runlog.start_run() as run:
            pass
        with self.assertRaises(RuntimeError):
            run.log_metric("x", 1)
        with self.assertRaises(RuntimeError):
            run.set_tag("x", 1)

    def test_runs_get_readable_random_names_and_the_experiment_from_the_environment(self):
        self.use_store()
        os.environ["RUNLOG_EXPERIMENT"] = "from-env"
        with runlog.start_run() as run:
            pass
        self.assertRegex(run.name, r"^[a-z]+-[a-z]+$")
        self.assertEqual(run.experiment, "from-env")
        del os.environ["RUNLOG_EXPERIMENT"]
        with runlog.start_run() as other:
            pass
        self.assertEqual(other.experiment, "Default")

    def test_naming_a_run_does_not_disturb_the_global_random_sequence(self):
        import random

        self.use_store()
        random.seed(7)
        expected = [random.random() for _ in range(3)]
        random.seed(7)
        with runlog.start_run():
            drawn = [random.random() for _ in range(3)]
        self.assertEqual(drawn, expected)


class ParamTest(support.ClientTest):
    def test_params_are_strings_written_once(self):
        self.use_store()
        with runlog.start_run(params={"lr": 0.01, "layers": [64, 32]}) as run:
            runlog.log_param("flag", True)
            runlog.log_param("lr", 0.01)  # same value again: fine, nothing written
            runlog.log_params({"flag": True, "seed": 3})
        params = [(e["key"], e["value"]) for e in of_type(read_events(run.dir), "param")]
        self.assertEqual(params, [("lr", "0.01"), ("layers", "[64, 32]"), ("flag", "True"), ("seed", "3")])
        self.assertEqual(run.params["flag"], "True")

    def test_changing_a_param_raises_a_clear_error_and_writes_nothing(self):
        self.use_store()
        with runlog.start_run() as run:
            runlog.log_param("lr", 0.01)
            with self.assertRaises(ValueError) as caught:
                runlog.log_param("lr", 0.02)
            message = str(caught.exception)
            for part in ("'lr'", "'0.01'", "'0.02'", "write-once"):
                self.assertIn(part, message)
            with self.assertRaises(ValueError):
                runlog.log_params({"new": 1, "lr": 0.5})  # one conflict: none of them is written
        keys = [e["key"] for e in of_type(read_events(run.dir), "param")]
        self.assertEqual(keys, ["lr"])

    def test_param_keys_must_be_non_empty_strings(self):
        self.use_store()
        with runlog.start_run():
            with self.assertRaises(ValueError):
                runlog.log_param("", 1)
            with self.assertRaises(ValueError):
                runlog.log_param(3, 1)


class MetricTest(support.ClientTest):
    def test_steps_count_up_per_key_from_the_last_step(self):
        self.use_store()
        with runlog.start_run() as run:
            runlog.log_metric("loss", 3)
            runlog.log_metric("loss", 2)
            runlog.log_metric("acc", 0.1)
            runlog.log_metric("loss", 1, step=10)
            runlog.log_metric("loss", 0.5)
            runlog.log_metric("acc", 0.2, step=4.0)  # a whole float is accepted as a step
        points = [(e["key"], e["value"], e["step"]) for e in of_type(read_events(run.dir), "metric")]
        # Each key's points in logging order (batched lines group them by key).
        self.assertEqual([p for p in points if p[0] == "loss"],
                         [("loss", 3.0, 0), ("loss", 2.0, 1), ("loss", 1.0, 10), ("loss", 0.5, 11)])
        self.assertEqual([p for p in points if p[0] == "acc"], [("acc", 0.1, 0), ("acc", 0.2, 4)])

    def test_non_finite_values_are_written_as_strings(self):
        self.use_store()
        with runlog.start_run() as run:
            runlog.log_metric("x", float("nan"))
            runlog.log_metric("x", math.inf)
            runlog.log_metric("x", -math.inf)
        values = [e["value"] for e in of_type(read_events(run.dir), "metric")]
        self.assertEqual(values, ["NaN", "Infinity", "-Infinity"])

    def test_batched_lines_have_the_documented_shape_and_keep_every_bit_of_a_value(self):
        self.use_store()
        samples = [0.1, 1 / 3, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 2 ** 60, 12345678901234567890, True,
                   math.nan, -math.inf]
        with runlog.start_run() as run:
            for index, value in enumerate(samples):
                runlog.log_metric('odd "key" é', value, step=index * 3 - 4, timestamp=1732600000000 + index * 7)
        with open(os.path.join(run.dir, "events.jsonl"), encoding="utf-8") as handle:
            (line,) = [line for line in handle if line.startswith('{"t":"metric')]
        self.assertRegex(line, r'^\{"t":"metrics","key":"odd \\"key\\" é","ts":\[1732600000000(,7){10}\],'
                               r'"step":\[-4(,3){10}\],"value":"[A-Za-z0-9+/]+=*"\}\n$')
        encoded = base64.b64decode(json.loads(line)["value"])
        self.assertEqual(encoded, struct.pack("<11d", *[float(v) for v in samples]))  # bit for bit, -0.0 too

    def test_a_store_of_an_older_format_gets_a_line_per_point(self):
        store = self.use_store()
        os.makedirs(store, exist_ok=True)
        with open(os.path.join(store, "format.json"), "w", encoding="utf-8") as handle:
            handle.write('{"journal_format": 2, "written_by": "Runlog 0.0.9"}\n')
        samples = [0.1, 1 / 3, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 2 ** 60, 12345678901234567890, True]
        with runlog.start_run() as run:
            for index, value in enumerate(samples):
                runlog.log_metric('odd "key" é', value, timestamp=1732600000000 + index)
        with open(os.path.join(run.dir, "events.jsonl"), encoding="utf-8") as handle:
            lines = [line for line in handle if line.startswith('{"t":"metric')]
        pattern = re.compile(r'^\{"t":"metric","ts":\d+,"key":"odd \\"key\\" é","value":[^,]+,"step":\d+\}$')
        for index, line in enumerate(lines):
            self.assertRegex(line.rstrip("\n"), pattern)
            event = json.loads(line)
            self.assertEqual(event["value"], float(samples[index]))
            self.assertEqual(event["ts"], 1732600000000 + index)
        self.assertIn('"value":1.0,', lines[-1])  # whole numbers still read back as floats

    def test_the_module_function_and_the_run_method_write_the_same_lines(self):
        self.use_store()
        values = [0.5, 3, float("nan"), float("inf"), -float("inf"), -1e-9]
        with runlog.start_run() as first:
            for value in values:
                runlog.log_metric("k", value, timestamp=5)
            runlog.log_metric("k", 1, step=20, timestamp=5)
            runlog.log_metric("k", 2, timestamp=5)
        with runlog.start_run() as second:
            for value in values:
                second.log_metric("k", value, timestamp=5)
            second.log_metric("k", 1, step=20, timestamp=5)
            second.log_metric("k", 2, timestamp=5)
        self.assertEqual(of_type(read_events(first.dir), "metric"), of_type(read_events(second.dir), "metric"))

        def metric_lines(run):
            with open(os.path.join(run.dir, "events.jsonl"), encoding="utf-8") as handle:
                return [line for line in handle if line.startswith('{"t":"metric')]

        self.assertEqual(metric_lines(first), metric_lines(second))
        with self.assertRaises(RuntimeError):
            second.log_metric("k", 1)

    def test_log_metrics_shares_one_timestamp_and_step(self):
        self.use_store()
        with runlog.start_run() as run:
            runlog.log_metrics({"a": 1, "b": 2}, step=7)
            runlog.log_metrics({"a": 3, "b": 4})
        metrics = of_type(read_events(run.dir), "metric")
        self.assertEqual(sorted((m["step"], m["key"]) for m in metrics), [(7, "a"), (7, "b"), (8, "a"), (8, "b")])
        self.assertEqual(len({m["ts"] for m in metrics if m["step"] == 7}), 1)

    def test_bad_keys_values_and_steps_raise(self):
        self.use_store()
        with runlog.start_run() as run:
            with self.assertRaises(ValueError):
                runlog.log_metric("", 1)
            with self.assertRaises(ValueError):
                runlog.log_metric(None, 1)
            with self.assertRaises(ValueError):
                runlog.log_metric("x", "not a number")
            with self.assertRaises(TypeError):
                runlog.log_metric("x", 1, step=1.5)
            with self.assertRaises(TypeError):
                runlog.log_metric("x", 1, step="3")
            with self.assertRaises(ValueError):
                runlog.log_metric("x", 1, step=2 ** 60)
            runlog.log_metric("x", 1)
        self.assertEqual(len(of_type(read_events(run.dir), "metric")), 1)

    def test_tags_are_strings_and_may_change(self):
        self.use_store()
        with runlog.start_run(tags={"team": "vision"}) as run:
            runlog.set_tag("stage", 1)
            runlog.set_tags({"stage": "two", "ok": False})
        tags = [(e["key"], e["value"]) for e in of_type(read_events(run.dir), "tag") if e["key"] != "runlog.git"]
        self.assertEqual(tags, [("team", "vision"), ("stage", "1"), ("stage", "two"), ("ok", "False")])

    def test_a_note_is_markdown_in_mlflows_note_tag_and_a_later_one_replaces_it(self):
        self.use_store()
        with runlog.start_run() as run:
            runlog.set_note("# Try\nlr **0.1** <script>x</script>")
            run.set_note("second")
            with self.assertRaises(TypeError):
                runlog.set_note(3)
            with self.assertRaises(ValueError):
                runlog.set_note("x" * 8001)
        notes = [e["value"] for e in of_type(read_events(run.dir), "tag") if e["key"] == "mlflow.note.content"]
        self.assertEqual(notes, ["# Try\nlr **0.1** <script>x</script>", "second"])


class ProcessExitTest(support.ClientTest):
    """What happens at interpreter exit, checked in a fresh interpreter."""

    def test_logging_without_start_run_starts_a_run_that_ends_finished_at_exit(self):
        store = self.use_store()
        done = support.run_script("import runlog\nrunlog.log_metric('loss', 1.5)\nrunlog.log_param('a', 1)\n",
                                  self.tmp, {"RUNLOG_DIR": store})
        self.assertEqual(done.returncode, 0, done.stderr)
        (run_id,) = os.listdir(os.path.join(store, "runs"))
        events = read_events(os.path.join(store, "runs", run_id))
        # Pending points are written after the lines queued with them, and before the run's end.
        self.assertEqual([e["t"] for e in events], ["run_start", "tag", "environment", "param", "metric", "run_end"])
        self.assertEqual(events[0]["command"], "script_under_test.py")
        self.assertEqual(events[0]["source"], os.path.join(self.tmp, "script_under_test.py"))
        self.assertEqual(events[-1]["status"], "FINISHED")

    def test_an_uncaught_exception_ends_active_runs_failed(self):
        store = self.use_store()
        source = "import runlog\nrunlog.start_run()\nrunlog.log_metric('loss', 1)\nraise RuntimeError('boom')\n"
        done = support.run_script(source, self.tmp, {"RUNLOG_DIR": store})
        self.assertEqual(done.returncode, 1)
        self.assertIn(b"RuntimeError: boom", done.stderr)  # the usual traceback is still printed
        (run_id,) = os.listdir(os.path.join(store, "runs"))
        end = read_events(os.path.join(store, "runs", run_id))[-1]
        self.assertEqual(end["status"], "FAILED")
        self.assertIn("RuntimeError: boom", end["error"])


if __name__ == "__main__":
    import unittest

    unittest.main()
