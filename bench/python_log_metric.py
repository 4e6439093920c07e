"""Benchmark: 1,000,000 ``runlog.log_metric`` calls in a tight loop, into a temporary store.

The time covers the loop and ``end_run`` (so every line has reached the file). Prints one JSON
line: {"name": "python client: 1M log_metric calls", "value": <seconds>, "unit": "s"}.
With ``--with-reference`` it also times the plain way of writing the same lines (one json.dumps and
one write to a buffered file per call) and adds it as "reference".
Run with: python3 bench/python_log_metric.py [--with-reference]
"""

import json
import os
import shutil
import sys
import tempfile
import time

CALLS = 1000000


def main() -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(root, "python"))
    store = tempfile.mkdtemp(prefix="runlog-bench-")
    for name in list(os.environ):
        if name.startswith("RUNLOG_"):
            del os.environ[name]
    os.environ["RUNLOG_DIR"] = store
    try:
        import runlog

        run = runlog.start_run(name="bench")
        log_metric = runlog.log_metric
        started = time.perf_counter()
        for i in range(CALLS):
            log_metric("loss", i * 0.001)
        runlog.end_run()
        elapsed = time.perf_counter() - started
        from runlog._journal import line_points

        with open(os.path.join(run.dir, "events.jsonl"), "rb") as handle:
            events = sum(line_points(line) for line in handle)
        if events < CALLS:
            raise SystemExit("only %d events reached the journal" % events)
        reference = plain_writes(os.path.join(store, "reference.jsonl")) if "--with-reference" in sys.argv else None
    finally:
        shutil.rmtree(store, ignore_errors=True)
    result = {"name": "python client: 1M log_metric calls", "value": round(elapsed, 3), "unit": "s"}
    if reference is not None:
        result["reference"] = round(reference, 3)
    print(json.dumps(result))


def plain_writes(path: str) -> float:
    """The same points written the obvious way: json.dumps per point into a buffered file."""
    started = time.perf_counter()
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(CALLS):
            event = {"t": "metric", "ts": int(time.time() * 1000), "key": "loss", "value": i * 0.001, "step": i}
            handle.write(json.dumps(event, separators=(",", ":")) + "\n")
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
