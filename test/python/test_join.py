"""Joining the run the editor created (RUNLOG_RUN_ID + RUNLOG_DIR)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_events, runlog  # noqa: E402

EDITOR_RUN = "r-editor-1"


class JoinTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        self.store = self.use_store()
        self.run_dir = os.path.join(self.store, "runs", EDITOR_RUN)
        os.makedirs(self.run_dir)
        # What the editor writes before it launches the script.
        editor_lines = [
            {"t": "run_start", "ts": 1, "run_id": EDITOR_RUN, "name": "calm-otter", "experiment": "house-prices"},
            {"t": "git", "ts": 2, "commit": "abc", "dirty": False, "patch": "", "untracked": []},
            {"t": "param", "ts": 3, "key": "lr", "value": "0.01"},
        ]
        with open(os.path.join(self.run_dir, "events.jsonl"), "w", encoding="utf-8") as handle:
            for event in editor_lines:
                handle.write(json.dumps(event) + "\n")
        os.environ["RUNLOG_RUN_ID"] = EDITOR_RUN

    def test_the_first_run_joins_without_writing_run_start_or_run_end(self):
        with runlog.start_run(name="my-name", params={"lr": 0.01, "epochs": 3}, tags={"k": "v"}) as run:
            self.assertTrue(run.joined)
            self.assertEqual((run.id, run.name, run.experiment), (EDITOR_RUN, "my-name", "house-prices"))
            self.assertEqual(run.dir, self.run_dir)
            runlog.log_metric("loss", 0.3)
        events = read_events(self.run_dir)
        self.assertEqual(len(of_type(events, "run_start")), 1)  # the editor's
        self.assertEqual(len(of_type(events, "git")), 1)  # the editor's
        self.assertEqual(of_type(events, "run_end"), [])
        self.assertEqual([(e["key"], e["value"]) for e in of_type(events, "param")], [("lr", "0.01"), ("epochs", "3")])
        tags = [(e["key"], e["value"]) for e in of_type(events, "tag")]
        self.assertEqual(tags, [("runlog.name", "my-name"), ("k", "v")])
        self.assertEqual(len(of_type(events, "metric")), 1)
        self.assertEqual(os.listdir(os.path.join(self.store, "runs")), [EDITOR_RUN])

    def test_a_joined_run_keeps_the_editors_name_and_params(self):
        with runlog.start_run() as run:
            self.assertEqual(run.name, "calm-otter")
            with self.assertRaises(ValueError):
                runlog.log_param("lr", 0.5)  # the editor logged lr=0.01
        self.assertEqual(of_type(read_events(self.run_dir), "tag"), [])

    def test_a_joined_run_moves_to_the_experiment_the_script_names(self):
        with runlog.start_run(experiment="pricing-v2") as run:
            self.assertEqual(run.experiment, "pricing-v2")
        with runlog.start_run(experiment="pricing-v2"):
            pass
        tags = [(e["key"], e["value"]) for e in of_type(read_events(self.run_dir), "tag")]
        self.assertEqual(tags, [("runlog.experiment", "pricing-v2")])

    def test_a_failure_in_a_joined_run_is_left_to_the_editor(self):
        with self.assertRaises(RuntimeError):
            with runlog.start_run():
                raise RuntimeError("boom")
        self.assertEqual(of_type(read_events(self.run_dir), "run_end"), [])

    def test_nested_runs_are_children_of_the_editor_run(self):
        with runlog.start_run():
            with runlog.start_run(name="fold-1") as child:
                runlog.log_metric("acc", 0.9)
        self.assertFalse(child.joined)
        events = read_events(child.dir)
        self.assertEqual(events[0]["parent_run_id"], EDITOR_RUN)
        self.assertEqual(events[0]["experiment"], "house-prices")
        self.assertEqual(events[-1]["status"], "FINISHED")
        self.assertEqual(child.store, self.store)

    def test_only_the_first_top_level_run_joins(self):
        with runlog.start_run() as first:
            pass
        with runlog.start_run() as second:
            pass
        self.assertTrue(first.joined)
        self.assertFalse(second.joined)
        self.assertNotEqual(second.id, EDITOR_RUN)
        self.assertEqual(read_events(second.dir)[0]["t"], "run_start")

    def test_an_invalid_run_id_is_ignored_with_a_warning(self):
        os.environ["RUNLOG_RUN_ID"] = "../../etc"
        with self.captured_stderr() as stderr:
            with runlog.start_run() as run:
                pass
        self.assertIn("RUNLOG_RUN_ID", stderr.getvalue())
        self.assertFalse(run.joined)
        self.assertEqual(os.path.dirname(run.dir), os.path.join(self.store, "runs"))

    def test_a_joined_process_writes_no_run_end_at_exit_even_when_it_fails(self):
        source = "import runlog\nrunlog.log_metric('loss', 1)\nraise SystemExit(3)\n"
        done = support.run_script(source, self.tmp, {"RUNLOG_DIR": self.store, "RUNLOG_RUN_ID": EDITOR_RUN})
        self.assertEqual(done.returncode, 3)
        events = read_events(self.run_dir)
        self.assertEqual([e["t"] for e in events], ["run_start", "git", "param", "environment", "metric"])


if __name__ == "__main__":
    unittest.main()
