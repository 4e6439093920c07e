"""runlog.search_runs: runs found by the editor's filter language, like mlflow.search_runs.

Whether it finds what the store finds is test/unit/cli/searchMirror.test.ts's job (the same filters
through both); these check the API: arguments, records, errors and the DataFrame."""

import json
import math
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import runlog  # noqa: E402

try:
    import pandas  # noqa: F401

    HAVE_PANDAS = True
except ImportError:
    HAVE_PANDAS = False


class SearchRunsTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        self.store = self.use_store()
        self.ids = {}
        for name, model, lr, rmse in (("a", "forest", 0.1, 0.5), ("b", "linear", 0.01, 0.3), ("c", "forest", 1, 0.9)):
            with runlog.start_run(name=name, experiment="prices", params={"model": model, "lr": lr}) as run:
                runlog.log_metric("rmse", rmse + 1, step=0)
                runlog.log_metric("rmse", rmse, step=1)
                runlog.set_tag("team", "ml" if name != "c" else "ML")
            self.ids[name] = run.id
            time.sleep(0.002)  # distinct start times: newest first is c, b, a
        with runlog.start_run(name="other", experiment="elsewhere"):
            runlog.log_metric("acc", float("nan"))
        time.sleep(0.002)

    def names(self, records):
        return [r.name for r in records]

    def test_finds_orders_and_limits(self):
        self.assertEqual(self.names(runlog.search_runs()), ["other", "c", "b", "a"])
        self.assertEqual(self.names(runlog.search_runs(filter="metrics.rmse < 0.6")), ["b", "a"])
        self.assertEqual(self.names(runlog.search_runs(filter_string="params.model = 'forest' AND params.lr >= 1")),
                         ["c"])
        self.assertEqual(self.names(runlog.search_runs(filter="tags.team ILIKE 'ML' OR metrics.acc = NaN",
                                                       order_by=["metrics.rmse DESC"])), ["c", "a", "b", "other"])
        self.assertEqual(self.names(runlog.search_runs(order_by="params.lr", max_results=2)), ["b", "a"])
        self.assertEqual(self.names(runlog.search_runs(experiment_names=["prices"], order_by=["name DESC"])),
                         ["c", "b", "a"])

    def test_records_hold_what_the_journal_says(self):
        [record] = runlog.search_runs(filter="attributes.run_name = 'b'")
        self.assertEqual((record.id, record.experiment, record.status), (self.ids["b"], "prices", "FINISHED"))
        self.assertEqual(record.params, {"model": "linear", "lr": "0.01"})
        self.assertEqual(record.metrics, {"rmse": 0.3})
        self.assertEqual(record.tags["team"], "ml")
        self.assertTrue(record.start_time <= record.end_time)
        self.assertFalse(record.deleted)
        [other] = runlog.search_runs(filter="attributes.experiment = 'elsewhere'")
        self.assertTrue(math.isnan(other.metrics["acc"]))
        # get_run reads a journal by the same rules.
        self.assertEqual(runlog.get_run(self.ids["b"]).metrics, {"rmse": 0.3})

    def test_the_trash(self):
        with open(os.path.join(self.store, "runs", self.ids["a"], "events.jsonl"), "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"t": "lifecycle", "ts": 1, "action": "delete"}) + "\n")
        self.assertNotIn("a", self.names(runlog.search_runs()))
        self.assertEqual(self.names(runlog.search_runs(run_view_type="DELETED_ONLY")), ["a"])
        self.assertEqual(len(runlog.search_runs(run_view_type="ALL")), 4)
        [deleted] = runlog.search_runs(run_view_type="DELETED_ONLY")
        self.assertTrue(deleted.deleted)

    def test_bad_arguments_say_what_is_wrong(self):
        with self.assertRaises(runlog.FilterError) as caught:
            runlog.search_runs(filter="metrics.rmse <")
        self.assertEqual((str(caught.exception), caught.exception.position),
                         ('metrics.rmse: expected a value after "<", found end of input (at 14)', 14))
        self.assertIsInstance(caught.exception, ValueError)
        with self.assertRaisesRegex(ValueError, "Invalid order_by clause 'attributes.colour'"):
            runlog.search_runs(order_by=["attributes.colour"])
        with self.assertRaisesRegex(ValueError, "experiment_id is the editor's own numbering"):
            runlog.search_runs(filter="attributes.experiment_id = 1")
        with self.assertRaisesRegex(ValueError, "output_format is 'list' or 'pandas'"):
            runlog.search_runs(output_format="polars")
        with self.assertRaisesRegex(ValueError, "run_view_type"):
            runlog.search_runs(run_view_type="SOME")
        with self.assertRaisesRegex(ValueError, "max_results"):
            runlog.search_runs(max_results=0)
        with self.assertRaises(TypeError):
            runlog.search_runs(filter="x", filter_string="y")

    def test_an_empty_store_has_no_runs(self):
        self.assertEqual(runlog.search_runs(store=os.path.join(self.tmp, "nothing-here")), [])

    @unittest.skipIf(HAVE_PANDAS, "pandas is importable here; the DataFrame test below covers it")
    def test_pandas_missing_is_said(self):
        with self.assertRaisesRegex(ImportError, "needs pandas"):
            runlog.search_runs(output_format="pandas")

    def test_a_dataframe_with_pandas(self):
        support.require_libraries("pandas")
        result = support.run_libs_script(
            "import json, runlog\n"
            "frame = runlog.search_runs(filter=\"attributes.experiment = 'prices'\", order_by=['metrics.rmse'],\n"
            "                           output_format='pandas')\n"
            "print(json.dumps({'columns': list(frame.columns), 'names': list(frame['run_name']),\n"
            "                  'rmse': list(frame['metrics.rmse']), 'lr': list(frame['params.lr']),\n"
            "                  'tz': str(frame['start_time'].dt.tz), 'rows': len(frame)}))\n",
            self.tmp, {"RUNLOG_DIR": self.store},
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        frame = json.loads(result.stdout)
        self.assertEqual(frame["columns"], ["run_id", "run_name", "experiment", "status", "start_time", "end_time",
                                            "metrics.rmse", "params.lr", "params.model", "tags.runlog.git", "tags.team"])
        self.assertEqual(frame["names"], ["b", "a", "c"])
        self.assertEqual(frame["rmse"], [0.3, 0.5, 0.9])
        self.assertEqual(frame["lr"], ["0.01", "0.1", "1"])
        self.assertEqual(frame["tz"], "UTC")


if __name__ == "__main__":
    unittest.main()
