"""Shared helpers for the Python client's tests: isolation, journal reading, schema checks.

Test modules import this after putting their own folder on ``sys.path``, so the suite runs the
same whether unittest imports it as ``test.python.*`` or as top-level modules.
"""

import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENT = os.path.join(ROOT, "python")
if CLIENT not in sys.path:
    sys.path.insert(0, CLIENT)

import runlog  # noqa: E402,F401 - re-exported for the test modules
from runlog import _api, _environment, _journal, _run, _store, _system_metrics  # noqa: E402

RUN_STATUSES = ("RUNNING", "QUEUED", "FINISHED", "FAILED", "KILLED", "INTERRUPTED")
END_STATUSES = ("FINISHED", "FAILED", "KILLED")
MAX_SAFE_INTEGER = 2 ** 53 - 1


# --- the journal schema (a mirror of src/store/events.ts) ------------------------------------


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _non_empty(event, names):
    for name in names:
        if not isinstance(event.get(name), str) or event.get(name) == "":
            return '"%s" must be a non-empty string' % name
    return None


def _optional(event, names):
    for name in names:
        if name in event and not isinstance(event[name], str):
            return '"%s" must be a string' % name
    return None


def event_problem(event):
    """Why ``event`` is not a valid journal event (as src/store/events.ts decides), or None."""
    if not isinstance(event, dict):
        return "not a JSON object"
    ts = event.get("ts")
    if not (isinstance(ts, (int, float)) and not isinstance(ts, bool) and math.isfinite(ts)):
        return '"ts" must be a number'
    t = event.get("t")
    if t == "run_start":
        return _non_empty(event, ["run_id", "name", "experiment"]) or _optional(
            event, ["command", "cwd", "entry_point", "source", "user", "parent_run_id"]
        )
    if t == "run_end":
        if event.get("status") not in END_STATUSES:
            return "bad run_end status"
        if "exit_code" in event and not _is_int(event["exit_code"]):
            return '"exit_code" must be an integer'
        return _optional(event, ["error"])
    if t == "status":
        return None if event.get("status") in RUN_STATUSES else "bad status"
    if t in ("param", "tag"):
        return _non_empty(event, ["key"]) or (None if isinstance(event.get("value"), str) else '"value" must be a string')
    if t == "metric":
        value = event.get("value")
        if _non_empty(event, ["key"]):
            return _non_empty(event, ["key"])
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)) and value not in ("NaN", "Infinity", "-Infinity"):
            return '"value" must be a number or NaN/Infinity/-Infinity'
        step = event.get("step")
        if not (_is_int(step) and abs(step) <= MAX_SAFE_INTEGER):
            return '"step" must be an integer'
        return None
    if t == "artifact":
        size = event.get("size")
        return _non_empty(event, ["path", "sha256"]) or (
            None if _is_int(size) and 0 <= size <= MAX_SAFE_INTEGER else '"size" must be a non-negative integer'
        )
    if t == "input":
        return _non_empty(event, ["name", "path", "digest"])
    if t == "git":
        problem = _non_empty(event, ["commit"]) or _optional(event, ["branch", "remote"])
        if problem:
            return problem
        if not isinstance(event.get("dirty"), bool):
            return '"dirty" must be true or false'
        if not isinstance(event.get("patch"), str):
            return '"patch" must be a string'
        untracked = event.get("untracked")
        if not isinstance(untracked, list):
            return '"untracked" must be a list'
        for entry in untracked:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                return "bad untracked entry"
            if "content" in entry and not isinstance(entry["content"], str):
                return "bad untracked content"
        return None
    if t == "model":
        problem = _non_empty(event, ["name", "flavor", "uuid"]) or _optional(event, ["signature"])
        if problem:
            return problem
        files = event.get("files")
        if not isinstance(files, list):
            return '"files" must be a list'
        for entry in files:
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("path"), str)
                and isinstance(entry.get("sha256"), str)
                and _is_int(entry.get("size"))
            ):
                return "bad model file entry"
        return None
    if t == "environment":
        return environment_problem(event)
    return "unknown event type %r" % (t,)


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def environment_problem(event):
    problem = _non_empty(event, ["python_version"]) or _optional(
        event, ["python_implementation", "executable", "platform", "system", "machine"]
    )
    if problem:
        return problem
    packages = event.get("packages")
    if not isinstance(packages, dict) or not all(isinstance(v, str) for v in packages.values()):
        return '"packages" must be an object of strings'
    gpu = event.get("gpu")
    if gpu is None:
        return None
    if not isinstance(gpu, dict):
        return '"gpu" must be an object'
    problem = _optional(gpu, ["driver_version", "cuda_version"])
    if problem:
        return problem
    devices = gpu.get("devices")
    if not isinstance(devices, list):
        return '"gpu.devices" must be a list'
    for device in devices:
        if not isinstance(device, dict) or not isinstance(device.get("name"), str):
            return "bad gpu device"
        if "memory_total_megabytes" in device and not _number(device["memory_total_megabytes"]):
            return "bad gpu memory"
    return None


def read_events(path):
    """Every event of a journal file; fails the test on a line that is not a valid event."""
    if os.path.isdir(path):
        path = os.path.join(path, "events.jsonl")
    with open(path, "rb") as handle:
        data = handle.read()
    if data and not data.endswith(b"\n"):
        raise AssertionError("%s does not end with a newline" % path)
    events = []
    for number, raw in enumerate(data.split(b"\n")[:-1], 1):
        text = raw.decode("utf-8")  # strict: the journal must be valid UTF-8
        event = json.loads(text)
        if isinstance(event, dict) and event.get("t") == "metrics":
            # A batched line (format 4) reads as the metric events of its points.
            events.extend(batch_events(event, "%s line %d" % (path, number)))
            continue
        problem = event_problem(event)
        if problem:
            raise AssertionError("%s line %d: %s: %s" % (path, number, problem, text[:200]))
        events.append(event)
    return events


def _wire(value):
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def batch_events(event, where="a batched line"):
    """The ``metric`` events of a batched ``metrics`` line; fails the test on one the store refuses."""
    if list(event) != ["t", "key", "ts", "step", "value"]:
        raise AssertionError("%s: fields %s, not t, key, ts, step, value" % (where, list(event)))
    points = _journal.decode_points(event)
    if points is None:
        raise AssertionError("%s: not a valid batched line: %r" % (where, event))
    key, steps, times, values = points
    return [{"t": "metric", "ts": ts, "key": key, "value": _wire(value), "step": step}
            for step, ts, value in zip(steps, times, values)]


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def read_text(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def of_type(events, t):
    return [event for event in events if event["t"] == t]


# --- isolation ------------------------------------------------------------------------------


def reset_client():
    """Ends every active run and forgets process-wide state, so tests do not leak into each other."""
    with _run._state_lock:
        runs = list(reversed(_run._stack))
    for run in runs:
        run.end("FINISHED")
    _api._joined_claimed = False
    _api._git_cache.clear()
    _environment._captured = None
    _environment._modules = None
    _environment._requires_cache.clear()
    _store._format_checked.clear()
    _store._recorded.clear()
    _system_metrics._enabled = None
    _system_metrics._warned.clear()
    from runlog._autolog import _core

    if _core.settings.enabled:
        runlog.autolog(disable=True)
    vars(_core.settings).clear()  # back to the class's defaults
    _core._reported.clear()
    _journal.flush_all()
    with _journal._registry_lock:
        del _journal._journals[:]
        del _journal._lost[:]


class ClientTest(unittest.TestCase):
    """Runs each test in its own temporary folder (also the cwd), with no RUNLOG_* variables and
    no git state capture of this repository (the main script is treated as absent)."""

    def setUp(self):
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix="runlog-test-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self._saved_env = {name: value for name, value in os.environ.items() if name.startswith("RUNLOG_")}
        for name in self._saved_env:
            del os.environ[name]
        self.addCleanup(self._restore_env)
        self._cwd = os.getcwd()
        os.chdir(self.tmp)
        self.addCleanup(os.chdir, self._cwd)
        self._main_script = _api._main_script
        _api._main_script = lambda: None
        self.addCleanup(setattr, _api, "_main_script", self._main_script)
        reset_client()
        self.addCleanup(reset_client)

    def _restore_env(self):
        for name in [name for name in os.environ if name.startswith("RUNLOG_")]:
            del os.environ[name]
        os.environ.update(self._saved_env)

    def use_store(self):
        """Points RUNLOG_DIR at a fresh store inside the test folder and returns it."""
        store = os.path.join(self.tmp, "store")
        os.environ["RUNLOG_DIR"] = store
        return store

    @contextlib.contextmanager
    def captured_stderr(self):
        buffer = io.StringIO()
        with contextlib.redirect_stderr(buffer):
            yield buffer


def git(cwd, *args):
    """Runs git for a test fixture, failing loudly."""
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.com",
        GIT_CONFIG_NOSYSTEM="1", HOME=cwd,
    )
    return subprocess.run(["git"] + list(args), cwd=cwd, env=env, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE).stdout.decode()


def has_git():
    try:
        return subprocess.run(["git", "--version"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False


def run_script(source, cwd, env=None):
    """Runs ``source`` in a fresh interpreter that can import runlog; returns the CompletedProcess."""
    full_env = {name: value for name, value in os.environ.items() if not name.startswith("RUNLOG_")}
    full_env["PYTHONPATH"] = CLIENT
    full_env.update(env or {})
    script = os.path.join(cwd, "script_under_test.py")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(source)
    return subprocess.run([sys.executable, os.path.basename(script)], cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)


# --- tests that need scikit-learn, PyTorch, numpy, Pillow, ... ---------------------------------

# Debian's python3-sklearn, python3-torch, python3-pil, ... install for /usr/bin/python3 only; the
# python3 first on PATH may be another interpreter that cannot import them. These tests run their
# scripts with LIBS_PYTHON, and fail (never skip) when it lacks a library.
LIBS_PYTHON = os.environ.get("RUNLOG_TEST_LIBS_PYTHON", "/usr/bin/python3")


# The Debian package of each module these tests import (test/runner/prerequisites.mjs installs them).
DEBIAN_PACKAGES = {"PIL": "python3-pil", "sklearn": "python3-sklearn", "yaml": "python3-yaml"}


def require_libraries(*modules):
    """Raises (a test error, never a skip) unless LIBS_PYTHON imports every module."""
    try:
        done = subprocess.run([LIBS_PYTHON, "-c", "import " + ", ".join(modules)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
        problem = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] if done.returncode else None
    except OSError as exc:
        problem = [str(exc)]
    if problem:
        packages = " ".join(DEBIAN_PACKAGES.get(module, "python3-" + module.lower()) for module in modules)
        raise AssertionError(
            "these tests need %s importable by %s (%s). On Debian: apt-get install %s "
            "(npm test installs them as root); or set RUNLOG_TEST_LIBS_PYTHON to a Python that has them."
            % (", ".join(modules), LIBS_PYTHON, problem[0] if problem else "", packages)
        )


def run_libs_script(source, cwd, env=None, timeout=240):
    """Runs ``source`` with LIBS_PYTHON (which imports runlog from this checkout); returns the
    CompletedProcess, text."""
    full_env = {name: value for name, value in os.environ.items() if not name.startswith("RUNLOG_")}
    full_env["PYTHONPATH"] = CLIENT
    full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    full_env.update(env or {})
    script = os.path.join(cwd, "train.py")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(source)
    return subprocess.run([LIBS_PYTHON, "train.py"], cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, universal_newlines=True)


def runs_of(store):
    """{run name: (run folder, events)} of every run in a store."""
    found = {}
    for run_id in os.listdir(os.path.join(store, "runs")):
        folder = os.path.join(store, "runs", run_id)
        events = read_events(folder)
        start = next((e for e in events if e["t"] == "run_start"), {})
        name = next((e["value"] for e in events if e["t"] == "tag" and e["key"] == "runlog.name"), start.get("name", run_id))
        found[name] = (folder, events)
    return found


def metrics_of(events):
    """{key: last value} of a run's metric events."""
    return {e["key"]: e["value"] for e in events if e["t"] == "metric"}


def params_of(events):
    return {e["key"]: e["value"] for e in events if e["t"] == "param"}


def tags_of(events):
    return {e["key"]: e["value"] for e in events if e["t"] == "tag"}
