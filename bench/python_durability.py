"""Benchmark: what the Python client's fsync policy costs (docs: python/README.md, durability).

Times, with the policy (fsync at a run's end, on flush() and at most every 5 s while writing) and
with every fsync turned off (``_journal.FSYNC = False``, the reference), in the same process:

- "runs": 200 short runs (start_run, 100 metric points, end_run), each ending with an fsync;
- "metrics": 1,000,000 log_metric calls into one run (a 5 s fsync may fall inside).

Prints one JSON line per figure: {"name", "value", "reference", "unit"}.
"""

import json
import os
import shutil
import sys
import tempfile
import time

RUNS = 200
CALLS = 1000000


def main() -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(root, "python"))
    for name in list(os.environ):
        if name.startswith("RUNLOG_"):
            del os.environ[name]
    import runlog
    from runlog import _api, _journal

    _api._git_state = lambda cwd, store: None  # the benchmark times writing, not git

    def timed(fsync: bool, body) -> float:
        store = tempfile.mkdtemp(prefix="runlog-durability-")
        os.environ["RUNLOG_DIR"] = store
        _journal.FSYNC = fsync
        try:
            started = time.perf_counter()
            body()
            return time.perf_counter() - started
        finally:
            shutil.rmtree(store, ignore_errors=True)

    def short_runs() -> None:
        for _ in range(RUNS):
            with runlog.start_run():
                for step in range(100):
                    runlog.log_metric("loss", step * 0.1)

    def long_run() -> None:
        with runlog.start_run():
            log_metric = runlog.log_metric
            for i in range(CALLS):
                log_metric("loss", i * 0.001)

    for name, body, per in (("python client: a run's end, fsynced", short_runs, RUNS),
                            ("python client: 1M log_metric calls, fsync policy", long_run, 1)):
        reference = timed(False, body)
        value = timed(True, body)
        unit = "ms" if per > 1 else "s"
        scale = 1000.0 / per if per > 1 else 1.0
        print(json.dumps({"name": name, "value": round(value * scale, 3), "reference": round(reference * scale, 3),
                          "unit": unit}))


if __name__ == "__main__":
    main()
