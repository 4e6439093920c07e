"""The fluent, module-level API (``runlog.start_run``, ``runlog.log_metric``, ...).

``start_run`` creates a run (or joins the one the editor created for this process), the logging
functions act on the innermost active run and start one if there is none, and every run still
active when the interpreter exits is ended then.
"""

import atexit
import getpass
import json
import os
import shlex
import socket
import sys
import uuid
from typing import Any, Dict, Mapping, Optional

from . import _environment, _git, _names, _store, _system_metrics
from ._errors import StoreError
from ._journal import failures, flush_all, shutdown, warn
from ._model import LoggedModel
from ._run import PathArg, Run, _explicit_step, _format_error, _non_finite, _stack, _state_lock, _status_for, _time_ns

_joined_claimed = False  # the editor's run can be joined once per process
_exit_hooks_installed = False
_uncaught = None  # the exception that reached the top level, recorded by our excepthook
_previous_excepthook = None
_git_cache: Dict[str, Optional[dict]] = {}


def _main_script() -> Optional[str]:
    """The absolute path of the script Python is running, if any (not in a REPL or notebook)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    return os.path.abspath(path) if path else None


def _user() -> Optional[str]:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return None


def _git_state(cwd: str, store: str) -> Optional[dict]:
    """The git event fields, captured once per process (later runs share the same code state)."""
    if cwd not in _git_cache:
        _git_cache[cwd] = _git.capture(cwd, [store])
    return _git_cache[cwd]


def _read_journal_head(path: str) -> dict:
    """What an existing journal already says: its ``run_start`` and params (best effort)."""
    found: Dict[str, Any] = {"params": {}}
    try:
        with open(path, "rb") as handle:
            data = handle.read(4 << 20)
    except OSError:
        return found
    for raw in data.split(b"\n")[:-1]:  # a last line without \n is still being written
        try:
            event = json.loads(raw.decode("utf-8"))
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        if event.get("t") == "run_start" and "run_start" not in found:
            found["run_start"] = event
        elif event.get("t") == "param" and isinstance(event.get("key"), str) and isinstance(event.get("value"), str):
            found["params"].setdefault(event["key"], event["value"])
    return found


def _join(run_id: str, name: Optional[str]) -> Run:
    """The editor's run: log into its journal, which already holds ``run_start`` and ``git``."""
    store = _store.find_store()  # RUNLOG_DIR, which the editor sets
    if os.path.islink(os.path.join(store, "runs", run_id)):
        warn("ignoring RUNLOG_RUN_ID=%r: its run folder is a symbolic link, which Runlog does not follow; "
             "starting a new run" % run_id)
        return _create(name, None, None)
    head = _read_journal_head(os.path.join(store, "runs", run_id, "events.jsonl"))
    start = head.get("run_start", {})
    run = Run(
        run_id,
        name or str(start.get("name") or run_id),
        str(start.get("experiment") or os.environ.get("RUNLOG_EXPERIMENT") or "Default"),
        store,
        joined=True,
    )
    run._params.update(head["params"])  # the editor's params are write-once too
    _environment.record(run)  # the editor cannot know the interpreter's packages; this process can
    return run


def _create(name: Optional[str], experiment: Optional[str], parent: Optional[Run], record_code: bool = True) -> Run:
    """A new run, started with ``run_start`` and the code's git state (unless ``record_code`` is
    False: a child run autolog makes, whose code is its parent's)."""
    store = parent.store if parent is not None else _store.find_store()
    experiment = (
        experiment
        or (parent.experiment if parent is not None else None)
        or os.environ.get("RUNLOG_EXPERIMENT")
        or "Default"
    )
    run = Run(
        uuid.uuid4().hex,
        name or _names.random_name(),
        experiment,
        store,
        parent_id=parent.id if parent is not None else None,
    )
    start: Dict[str, Any] = {"run_id": run.id, "name": run.name, "experiment": run.experiment}
    # Which process logs the run, so an editor that finds it gone can mark the run interrupted.
    start["pid"] = os.getpid()
    start["host"] = socket.gethostname()
    if sys.argv and sys.argv[0]:
        start["command"] = " ".join(shlex.quote(arg) for arg in sys.argv)
    start["cwd"] = os.getcwd()
    script = _main_script()
    if script:
        start["source"] = script
    user = _user()
    if user:
        start["user"] = user
    if run.parent_id:
        start["parent_run_id"] = run.parent_id
    run._write("run_start", start)
    if not record_code:
        return run
    folder = os.path.dirname(script) if script and os.path.isdir(os.path.dirname(script)) else os.getcwd()
    git = _git_state(folder, store)
    if git is None:
        run._write("tag", {"key": "runlog.git", "value": "none"})
    else:
        run._write("git", git)
    if parent is None:
        # A child run runs in its parent's process: the store reads the environment from the parent.
        _environment.record(run)
    return run


def start_run(
    name: Optional[str] = None,
    params: Optional[Mapping[str, Any]] = None,
    experiment: Optional[str] = None,
    tags: Optional[Mapping[str, Any]] = None,
    log_system_metrics: Optional[bool] = None,
) -> Run:
    """Starts a run and makes it the active one; returns it (also a context manager).

    While a run is active, the new run is its child (``parent_run_id``). When the editor launched
    this process (``RUNLOG_RUN_ID``), the first top-level run joins the editor's run instead of
    creating one; its ``name`` is then recorded as the tag ``runlog.name`` and its ``experiment`` as
    ``runlog.experiment``, which move the editor's run.

    ``log_system_metrics`` samples CPU, memory, disk, network and GPUs into the run until it ends
    (``_system_metrics.py``); None leaves it to ``enable_system_metrics_logging()`` and
    ``RUNLOG_SYSTEM_METRICS``, which apply to top-level runs.
    """
    global _joined_claimed
    with _state_lock:
        parent = _stack[-1] if _stack else None
        editor_run = os.environ.get("RUNLOG_RUN_ID", "")
        if parent is None and editor_run and not _joined_claimed:
            _joined_claimed = True
            if _store.is_valid_run_id(editor_run):
                run = _join(editor_run, name)
            else:
                warn("ignoring RUNLOG_RUN_ID=%r: not a valid run id; starting a new run" % editor_run)
                run = _create(name, experiment, None)
        else:
            run = _create(name, experiment, parent)
        _stack.append(run)
        _install_exit_hooks()
    if log_system_metrics or (log_system_metrics is None and parent is None and _system_metrics.enabled_by_default()):
        _system_metrics.start(run)
    if run.joined and name:
        run.set_tag("runlog.name", name)
    if run.joined and experiment and experiment != run.experiment:
        # The editor filed the run before the script said where it belongs: move it there.
        run.experiment = experiment
        run.set_tag("runlog.experiment", experiment)
    if tags:
        run.set_tags(tags)
    if params:
        run.log_params(params)
    return run


def _start_child(tags: Mapping[str, Any]) -> Run:
    """A child of the active run that records no code of its own (autolog's search candidates:
    hundreds of them must not each copy the parent's git diff)."""
    with _state_lock:
        run = _create(None, None, _stack[-1], record_code=False)
        _stack.append(run)
    run.set_tags(tags)
    return run


def active_run() -> Optional[Run]:
    """The innermost active run, or None."""
    with _state_lock:
        return _stack[-1] if _stack else None


def end_run(status: str = "FINISHED") -> None:
    """Ends the innermost active run; does nothing when no run is active."""
    run = active_run()
    if run is not None:
        run.end(status)


def _current() -> Run:
    """The innermost active run, started on the fly (and ended at exit) if there is none."""
    try:
        return _stack[-1]
    except IndexError:
        pass
    with _state_lock:
        return _stack[-1] if _stack else start_run()


def log_param(key: str, value: Any) -> None:
    """Logs a write-once parameter on the active run (see ``Run.log_param``)."""
    _current().log_params({key: value})


def log_params(params: Mapping[str, Any]) -> None:
    """Logs several write-once parameters on the active run; on a conflict none is written."""
    _current().log_params(params)


def log_metric(key: str, value: Any, step: Optional[int] = None, timestamp: Optional[int] = None) -> None:
    """Logs a metric point on the active run (see ``Run.log_metric``)."""
    # Run.log_metric's lines, repeated here rather than called: the extra Python call would cost
    # a fifth of the time of a metric point. test_run.MetricTest checks that both write alike.
    try:
        run = _stack[-1]
    except IndexError:
        run = _current()
    if run._ended:
        raise run._ended_error()
    value = float(value)
    entry = run._metric_keys.get(key) or run._metric_key(key)
    step = next(entry[1]) if step is None else _explicit_step(entry, step)
    ts = _time_ns() // 1000000 if timestamp is None else int(timestamp)
    points = entry[2]
    if points is not None:
        points.append((step, ts, value))
        if len(points) >= run._flush_lines:
            run._journal._on_full()
        return
    lines = run._lines
    if value - value == 0.0:
        lines.append(f'{{"t":"metric","ts":{ts}{entry[0]}{value!r},"step":{step}}}\n')
    else:
        lines.append(f'{{"t":"metric","ts":{ts}{entry[0]}{_non_finite(value)},"step":{step}}}\n')
    if len(lines) >= run._flush_lines:
        run._journal._on_full()


def log_metrics(metrics: Mapping[str, Any], step: Optional[int] = None) -> None:
    """Logs several metric points on the active run, with one timestamp (and step, if given)."""
    _current().log_metrics(metrics, step)


def set_tag(key: str, value: Any) -> None:
    """Sets a tag (``str(value)``) on the active run; a later value overwrites."""
    _current().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    """Sets several tags on the active run."""
    _current().set_tags(tags)


def set_note(text: str) -> None:
    """Sets the active run's note (Markdown, the tag ``mlflow.note.content``); a later note replaces it."""
    _current().set_note(text)


def log_artifact(path: PathArg, artifact_path: Optional[str] = None) -> None:
    """Copies a file or folder into the active run's artifacts (see ``Run.log_artifact``)."""
    _current().log_artifact(path, artifact_path)


def log_model(
    path: PathArg,
    name: str = "model",
    flavor: str = "pickle",
    signature: Optional[Dict[str, Any]] = None,
    input_example: Any = None,
) -> LoggedModel:
    """Logs a model file or folder with an MLmodel manifest into the active run (see ``Run.log_model``)."""
    return _current().log_model(path, name, flavor, signature, input_example)


def log_image(
    image: Any,
    *,
    key: Optional[str] = None,
    step: Optional[int] = None,
    artifact_file: Optional[str] = None,
    timestamp: Optional[int] = None,
) -> None:
    """Logs an image into the active run: one step of the series ``key`` in MLflow's layout, or the
    artifact ``artifact_file`` (see ``Run.log_image``)."""
    _current().log_image(image, key=key, step=step, artifact_file=artifact_file, timestamp=timestamp)


def log_figure(figure: Any, artifact_file: str, save_kwargs: Optional[Dict[str, Any]] = None) -> None:
    """Logs a matplotlib or plotly figure into the active run (see ``Run.log_figure``)."""
    _current().log_figure(figure, artifact_file, save_kwargs)


def log_table(data: Any, artifact_file: str) -> None:
    """Logs (or appends to) a JSON table in the active run (see ``Run.log_table``)."""
    _current().log_table(data, artifact_file)


def log_dict(dictionary: Any, artifact_file: str) -> None:
    """Logs a dict as JSON, or YAML for .yml/.yaml, into the active run (see ``Run.log_dict``)."""
    _current().log_dict(dictionary, artifact_file)


def log_text(text: str, artifact_file: str) -> None:
    """Logs a string as an artifact of the active run (see ``Run.log_text``)."""
    _current().log_text(text, artifact_file)


def log_input(path: PathArg, name: Optional[str] = None) -> str:
    """Records a dataset the active run read, with its digest (see ``Run.log_input``)."""
    return _current().log_input(path, name)


def flush(raise_errors: bool = False) -> bool:
    """Writes every buffered line now and fsyncs it (a forked worker about to ``os._exit`` may want
    this). Returns whether everything was written: False if some journal could not be written (its
    events stay pending and are retried) or metric points were dropped to bound memory. With
    ``raise_errors=True``, raises ``StoreError`` saying what is missing instead of returning False."""
    ok = flush_all()
    problems = failures()
    if problems and raise_errors:
        raise StoreError("runlog.flush: " + "; ".join(problems))
    return ok and not problems


# --- interpreter exit -----------------------------------------------------------------------


def _excepthook(exc_type: type, exc: BaseException, tb: Any) -> None:
    """Remembers an uncaught exception so that runs still active at exit end as FAILED."""
    global _uncaught
    _uncaught = (exc_type, exc, tb)
    hook = _previous_excepthook or sys.__excepthook__
    hook(exc_type, exc, tb)


def _install_exit_hooks() -> None:
    """Once per process: note uncaught exceptions (chaining the existing hook) and end runs at exit."""
    global _exit_hooks_installed, _previous_excepthook
    if _exit_hooks_installed:
        return
    _exit_hooks_installed = True
    _previous_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    atexit.register(_at_exit)


def _at_exit() -> None:
    """Ends this process's active runs (FAILED/KILLED if an exception ended the program), then
    writes everything left. A forked child only writes its own lines: the runs are its parent's."""
    try:
        if _uncaught is not None:
            exc_type, exc, tb = _uncaught
            status = _status_for(exc_type, exc)
            error = _format_error(exc_type, exc, tb) if status != "FINISHED" else None
        else:
            status, error = "FINISHED", None
        with _state_lock:
            runs = [run for run in reversed(_stack) if run._pid == os.getpid()]
        for run in runs:
            try:
                run.end(status, error=error)
            except Exception as exc:  # noqa: BLE001 - keep ending the others
                warn("could not end run %s: %r" % (run.id, exc))
    finally:
        shutdown()
