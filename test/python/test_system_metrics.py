"""System metrics: the sampler thread, when it runs, MLflow's names, GPUs through nvidia-smi."""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_events, runlog  # noqa: E402
from runlog import _system_metrics  # noqa: E402
from test_environment import fake_nvidia_smi, no_nvidia_smi  # noqa: E402

LINUX_METRICS = {
    "system/cpu_utilization_percentage",
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/process_cpu_percentage",
    "system/process_memory_rss_megabytes",
    "system/process_memory_percentage",
    "system/disk_usage_percentage",
    "system/disk_usage_megabytes",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
}


def system_points(run):
    """{key: [(step, value), ...]} of the run's system/ metrics."""
    points = {}
    for event in of_type(read_events(run.dir), "metric"):
        if event["key"].startswith("system/"):
            points.setdefault(event["key"], []).append((event["step"], event["value"]))
    return points


def flushed_points(run):
    runlog.flush()
    return system_points(run)


def sampler_threads():
    return [t for t in threading.enumerate() if t.name == "runlog-system-metrics"]


class SystemMetricsTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        no_nvidia_smi(self)
        self.use_store()
        os.environ["RUNLOG_SYSTEM_METRICS_INTERVAL"] = "0.1"

    def test_a_run_samples_every_interval_with_mlflows_names_and_stops_with_the_run(self):
        with runlog.start_run(log_system_metrics=True) as run:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(flushed_points(run).get("system/disk_usage_megabytes", [])) < 3:
                time.sleep(0.05)
            self.assertEqual(len(sampler_threads()), 1)
        self.assertEqual(sampler_threads(), [], "the thread ends with the run")
        points = system_points(run)
        if sys.platform.startswith("linux"):
            self.assertLessEqual(LINUX_METRICS, set(points), sorted(points))
        else:
            self.assertLessEqual({"system/process_cpu_percentage", "system/disk_usage_megabytes"}, set(points))
        self.assertFalse(any(key.startswith("system/gpu_") for key in points))
        steps = [step for step, _ in points["system/disk_usage_megabytes"]]
        self.assertGreaterEqual(len(steps), 3)
        self.assertEqual(steps, list(range(len(steps))))
        for key in ("system/cpu_utilization_percentage", "system/system_memory_usage_percentage",
                    "system/disk_usage_percentage"):
            for _, value in points.get(key, []):
                self.assertTrue(0 <= value <= 100, (key, value))
        self.assertTrue(all(value > 0 for _, value in points.get("system/process_memory_rss_megabytes", [(0, 1)])))
        # Nothing is logged after the run ended.
        events = read_events(run.dir)
        self.assertEqual(events[-1]["t"], "run_end")

    def test_a_run_shorter_than_the_interval_still_gets_one_point(self):
        os.environ["RUNLOG_SYSTEM_METRICS_INTERVAL"] = "60"
        with runlog.start_run(log_system_metrics=True) as run:
            pass
        points = system_points(run)
        self.assertEqual(points["system/disk_usage_megabytes"][0][0], 0)
        self.assertEqual({len(values) for values in points.values()}, {1})

    def test_who_turns_it_on(self):
        with runlog.start_run() as plain:
            pass
        os.environ["RUNLOG_SYSTEM_METRICS"] = "1"  # what the editor sets for the runs it launches
        with runlog.start_run() as launched:
            with runlog.start_run() as child:
                pass
            with runlog.start_run(log_system_metrics=True) as asked:
                pass
        with runlog.start_run(log_system_metrics=False) as declined:
            pass
        runlog.disable_system_metrics_logging()
        with runlog.start_run() as disabled:
            pass
        del os.environ["RUNLOG_SYSTEM_METRICS"]
        runlog.enable_system_metrics_logging()
        with runlog.start_run() as enabled:
            pass
        sampled = {name for name, run in [("plain", plain), ("launched", launched), ("child", child), ("asked", asked),
                                          ("declined", declined), ("disabled", disabled), ("enabled", enabled)]
                   if system_points(run)}
        self.assertEqual(sampled, {"launched", "asked", "enabled"})

    def test_gpus_come_from_nvidia_smi(self):
        fake_nvidia_smi(self)
        with runlog.start_run(log_system_metrics=True) as run:
            pass
        points = {key: values[0][1] for key, values in system_points(run).items() if key.startswith("system/gpu_")}
        self.assertEqual(points, {
            "system/gpu_0_utilization_percentage": 87.0,
            "system/gpu_0_memory_usage_megabytes": 31457.3,  # 30000 MiB
            "system/gpu_0_memory_usage_percentage": 73.2,
            "system/gpu_0_power_usage_watts": 250.5,
            "system/gpu_0_power_usage_percentage": 62.6,
            "system/gpu_0_temperature_celsius": 71.0,
            "system/gpu_1_memory_usage_megabytes": 1073.7,
            "system/gpu_1_memory_usage_percentage": 2.5,
            "system/gpu_1_temperature_celsius": 40.0,
        })

    def test_a_broken_nvidia_smi_or_reading_leaves_those_metrics_out_and_never_raises(self):
        fake_nvidia_smi(self, "#!/bin/sh\nexit 3\n")
        original = _system_metrics.memory
        _system_metrics.memory = lambda: 1 / 0
        self.addCleanup(setattr, _system_metrics, "memory", original)
        with self.captured_stderr() as err:
            with runlog.start_run(log_system_metrics=True) as run:
                time.sleep(0.35)
        points = system_points(run)
        self.assertIn("system/disk_usage_megabytes", points)
        self.assertNotIn("system/system_memory_usage_megabytes", points)
        self.assertFalse(any(key.startswith("system/gpu_") for key in points))
        self.assertEqual(err.getvalue().count("ZeroDivisionError"), 1, err.getvalue())
        self.assertEqual(read_events(run.dir)[-1]["status"], "FINISHED")

    def test_a_bad_interval_is_said_and_the_default_used(self):
        os.environ["RUNLOG_SYSTEM_METRICS_INTERVAL"] = "often"
        with self.captured_stderr() as err:
            self.assertEqual(_system_metrics.interval(), 10.0)
            self.assertEqual(_system_metrics.interval(), 10.0)
        self.assertEqual(err.getvalue().count("RUNLOG_SYSTEM_METRICS_INTERVAL='often'"), 1, err.getvalue())
        os.environ["RUNLOG_SYSTEM_METRICS_INTERVAL"] = "2.5"
        self.assertEqual(_system_metrics.interval(), 2.5)

    def test_a_launched_script_samples_into_the_editors_run_until_it_exits(self):
        store = os.environ["RUNLOG_DIR"]
        run_dir = os.path.join(store, "runs", "r-editor")
        os.makedirs(run_dir)
        with open(os.path.join(run_dir, "events.jsonl"), "w", encoding="utf-8") as handle:
            handle.write('{"t":"run_start","ts":1,"run_id":"r-editor","name":"n","experiment":"e"}\n')
        done = support.run_script(
            "import time, runlog\nrunlog.log_metric('loss', 1)\ntime.sleep(0.35)\n",
            self.tmp,
            {"RUNLOG_DIR": store, "RUNLOG_RUN_ID": "r-editor", "RUNLOG_SYSTEM_METRICS": "1",
             "RUNLOG_SYSTEM_METRICS_INTERVAL": "0.1", "PATH": os.environ["PATH"]},
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr, b"")
        events = read_events(run_dir)
        steps = [e["step"] for e in events if e["t"] == "metric" and e["key"] == "system/disk_usage_megabytes"]
        self.assertGreaterEqual(len(steps), 3)
        self.assertEqual(of_type(events, "run_end"), [], "the editor ends its run")


if __name__ == "__main__":
    unittest.main()
