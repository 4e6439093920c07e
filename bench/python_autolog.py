"""Benchmark: what runlog.autolog() and the system-metrics sampler cost, each beside the same work
without them, measured in the same process and interleaved (run with a Python that has
scikit-learn, PyTorch and numpy: Debian's /usr/bin/python3 with python3-sklearn python3-torch).

- scikit-learn fits of 10,000 rows x 20 features, bare and with autolog() at its defaults (params,
  training metrics, the data's digest, the model pickled with its signature and requirements):
  a random forest classifier and regressor (the 5% target), and a logistic regression, whose short
  fit shows autolog's fixed cost per fit;
- a 1,000-step PyTorch loop (MLP, batch 64, SGD) bare and with autolog() (the 3% target);
- the sampler's CPU time per sample (and so its share of one core at the default 10 s interval),
  beside the least a sampler can do (reading /proc/stat once per sample).

Times are the process's CPU time (see ``interleaved``).

Prints one JSON line per figure: {"name", "value", "unit", "reference", "note"}.
Run with: /usr/bin/python3 bench/python_autolog.py [--quick]
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time

QUICK = "--quick" in sys.argv


def emit(name, value, unit, reference, note=""):
    print(json.dumps({"name": name, "value": value, "unit": unit, "reference": reference, "note": note}), flush=True)


def interleaved(runlog, body, repeats):
    """Median CPU seconds of ``body()`` without and with autolog, alternating so that drifts hit both.
    CPU time of the process, not wall time: the machines this runs on are shared, and their load
    moves wall times by more than the overhead measured (the work is single-threaded, so on an idle
    machine the two agree). Switching autolog on and off is not timed."""
    bare_times, logged_times = [], []
    for _ in range(repeats):
        for enabled, times in ((False, bare_times), (True, logged_times)):
            if enabled:
                runlog.autolog()
            else:
                runlog.autolog(disable=True)
            started = time.process_time()
            body(enabled)
            times.append(time.process_time() - started)
    runlog.autolog(disable=True)
    return statistics.median(bare_times), statistics.median(logged_times)


def overhead_note(bare, logged, target):
    return "overhead %+.1f%% (target < %d%%)" % ((logged / bare - 1) * 100, target)


def bench_sklearn(runlog):
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(10000, 20))
    y_value = X[:, 0] + X[:, 1] * X[:, 2] + 0.5 * rng.normal(size=10000)
    y_class = (y_value > 0).astype(int)
    cases = [
        ("random forest classifier (50 trees)", lambda: RandomForestClassifier(n_estimators=50, max_depth=12, random_state=0),
         y_class, 3 if QUICK else 7, 5),
        ("random forest regressor (30 trees)", lambda: RandomForestRegressor(n_estimators=30, max_depth=12, random_state=0),
         y_value, 3 if QUICK else 7, 5),
        ("logistic regression", lambda: LogisticRegression(max_iter=300), y_class, 5 if QUICK else 15, None),
    ]
    runlog.autolog()
    LogisticRegression().fit(X[:200], y_class[:200])  # once per process: git state, environment, requirements map
    for label, make, y, repeats, target in cases:
        bare_s, logged_s = interleaved(runlog, lambda enabled: make().fit(X, y), repeats)
        note = overhead_note(bare_s, logged_s, target) if target else "fixed cost %.1f ms per fit" % ((logged_s - bare_s) * 1000)
        emit("sklearn fit, 10k rows: %s, autolog() vs bare" % label, round(logged_s, 4), "s CPU", round(bare_s, 4), note)


def bench_torch(runlog):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(0)
    X = torch.randn(64, 20)
    y = torch.randn(64, 1)

    def loop():
        model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        for _ in range(1000):
            optimizer.zero_grad()
            loss = ((model(X) - y) ** 2).mean()
            loss.backward()
            optimizer.step()

    def body(enabled):
        if enabled:
            with runlog.start_run():
                loop()
        else:
            loop()

    bare_s, logged_s = interleaved(runlog, body, 3 if QUICK else 9)
    emit("torch loop, 1000 steps: autolog() vs bare", round(logged_s, 4), "s CPU", round(bare_s, 4),
         overhead_note(bare_s, logged_s, 3))


def bench_sampler(runlog):
    from runlog import _system_metrics

    run = runlog.start_run(name="sampler")
    sampler = _system_metrics.Sampler(run, _system_metrics.DEFAULT_INTERVAL)
    samples = 50 if QUICK else 300

    def cpu_per_call(body):
        body()
        started = time.thread_time()
        for _ in range(samples):
            body()
        return (time.thread_time() - started) / samples

    per_sample = cpu_per_call(sampler.sample)
    minimal = cpu_per_call(_system_metrics.cpu_times)
    runlog.end_run()
    share = per_sample / _system_metrics.DEFAULT_INTERVAL * 100
    emit("system-metrics sampler: CPU per sample", round(per_sample * 1000, 4), "ms CPU", round(minimal * 1000, 4),
         "= %.4f%% of one core at the 10 s default (target < 1%%); reference: reading /proc/stat alone" % share)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(root, "python"))
    store = tempfile.mkdtemp(prefix="runlog-bench-autolog-")
    for name in list(os.environ):
        if name.startswith("RUNLOG_"):
            del os.environ[name]
    os.environ["RUNLOG_DIR"] = store
    try:
        import runlog

        only = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
        for name, bench in (("sklearn", bench_sklearn), ("torch", bench_torch), ("sampler", bench_sampler)):
            if not only or name in only:
                bench(runlog)
    finally:
        shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
