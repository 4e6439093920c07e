"""Benchmark: 1,000,000 ``runlog.log_metric`` calls in a tight loop, into a temporary store.

The time covers the loop and ``end_run`` (so every line has reached the file). Prints one JSON
line: {"name": "python client: 1M log_metric calls", "value": <seconds>, "unit": "s",
"bytes_per_point": <journal bytes of the metric lines per point>}.
With ``--with-reference`` it also times the plain way of writing the same lines (one json.dumps and
one write to a buffered file per call) and adds it as "reference" (and its bytes per point as
"reference_bytes_per_point"), and logs a slow loop (one key at ~85 steps/s for 3 s) twice: as the
client writes it ("slow_bytes_per_point"), and with every 100 ms tick writing its points, as the
client did before points were held ("slow_reference_bytes_per_point").
Run with: python3 bench/python_log_metric.py [--with-reference]
"""

import json
import math
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
        values = [loss(i) for i in range(CALLS)]
        started = time.perf_counter()
        for value in values:
            log_metric("loss", value)
        runlog.end_run()
        elapsed = time.perf_counter() - started
        points, point_bytes = metric_lines(os.path.join(run.dir, "events.jsonl"))
        if points < CALLS:
            raise SystemExit("only %d points reached the journal" % points)
        result = {"name": "python client: 1M log_metric calls", "value": round(elapsed, 3), "unit": "s",
                  "bytes_per_point": round(point_bytes / points, 2)}
        if "--with-reference" in sys.argv:
            reference_file = os.path.join(store, "reference.jsonl")
            result["reference"] = round(plain_writes(reference_file, values), 3)
            result["reference_bytes_per_point"] = round(os.path.getsize(reference_file) / CALLS, 2)
            from runlog import _journal

            result["slow_bytes_per_point"] = round(slow_loop(runlog), 2)
            delay = _journal.POINT_DELAY
            _journal.POINT_DELAY = 0.0
            try:
                result["slow_reference_bytes_per_point"] = round(slow_loop(runlog), 2)
            finally:
                _journal.POINT_DELAY = delay
    finally:
        shutil.rmtree(store, ignore_errors=True)
    print(json.dumps(result))


def loss(i: int) -> float:
    """A training loss: a full-precision double, as a framework's loss.item() is."""
    return math.exp(-i / CALLS) + 0.01 * math.sin(i)


def slow_loop(runlog) -> float:
    """Journal bytes per point of a training loop logging one key at ~85 steps/s for 3 s."""
    run = runlog.start_run(name="slow")
    started = time.perf_counter()
    step = 0
    while time.perf_counter() - started < 3.0:
        runlog.log_metric("loss", loss(step), step=step)
        step += 1
        time.sleep(max(0.0, started + step / 85 - time.perf_counter()))
    runlog.end_run()
    points, point_bytes = metric_lines(os.path.join(run.dir, "events.jsonl"))
    if points < step:
        raise SystemExit("only %d of %d slow points reached the journal" % (points, step))
    return point_bytes / points


def metric_lines(path: str):
    """(points, bytes) of a journal's metric lines, batched or not."""
    from runlog._journal import line_points

    points = size = 0
    with open(path, "rb") as handle:
        for line in handle:
            if line.startswith(b'{"t":"metric'):
                points += line_points(line)
                size += len(line)
    return points, size


def plain_writes(path: str, values) -> float:
    """The same points written the obvious way: json.dumps per point into a buffered file."""
    started = time.perf_counter()
    with open(path, "w", encoding="utf-8") as handle:
        for i, value in enumerate(values):
            event = {"t": "metric", "ts": int(time.time() * 1000), "key": "loss", "value": value, "step": i}
            handle.write(json.dumps(event, separators=(",", ":")) + "\n")
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
