"""A run (``Run``) and the process-wide stack of active runs.

The active runs form one stack: a run started while another is active is its child, and the
module-level API (``_api.py``) acts on the innermost one. Ending a run ends the runs inside it.
"""

import itertools
import json
import os
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from . import _claims, _environment, _files, _model, _store
from ._media_log import MediaLogging
from ._version import __version__
from ._journal import BATCHED_METRICS_FORMAT, Journal, encode_event, now_ms, warn

PathArg = Union[str, "os.PathLike"]

END_STATUSES = ("FINISHED", "FAILED", "KILLED")
# JavaScript reads steps as doubles: larger integers would not survive the trip.
_MAX_SAFE_INTEGER = 2 ** 53 - 1
_time_ns = time.time_ns
# How much of a traceback a failed run keeps in its ``run_end`` event.
_ERROR_LINES = 20
_ERROR_CHARS = 4000


# MLflow's limits, which its server enforces too: a longer key or value is refused with ValueError.
MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
# Where a run's note lives: MLflow's tag, so notes round-trip with MLflow.
NOTE_TAG = "mlflow.note.content"


def _check_key(key: Any, what: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError("a %s key must be a non-empty string, not %r" % (what, key))
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError("a %s key is at most %d characters, not %d (%r...)" % (what, MAX_KEY_LENGTH, len(key), key[:40]))
    return key


def _param_value(key: str, value: Any) -> str:
    text = str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise ValueError("parameter %r: a value is at most %d characters, not %d (log long text as an artifact)"
                         % (key, MAX_PARAM_VALUE_LENGTH, len(text)))
    return text


def _tag_value(key: str, value: Any) -> str:
    text = str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise ValueError("tag %r: a value is at most %d characters, not %d (log long text as an artifact)"
                         % (key, MAX_TAG_VALUE_LENGTH, len(text)))
    return text


def _as_step(step: Any) -> int:
    """An explicit step as an integer; floats are accepted when they hold a whole number."""
    if isinstance(step, float) and step.is_integer():
        step = int(step)
    try:
        number = step.__index__()
    except (AttributeError, TypeError):
        raise TypeError("a metric step must be an integer, not %r" % (step,)) from None
    if not -_MAX_SAFE_INTEGER <= number <= _MAX_SAFE_INTEGER:
        raise ValueError("a metric step must be within +-(2**53 - 1), not %d" % number)
    return number


def _explicit_step(entry: List[Any], step: Any) -> int:
    """Checks an explicit step and makes the key's next automatic step follow it."""
    number = _as_step(step)
    entry[1] = itertools.count(number + 1)
    return number


def _non_finite(value: float) -> str:
    """How JSON carries NaN and the infinities (docs/JOURNAL.md)."""
    if value != value:
        return '"NaN"'
    return '"Infinity"' if value > 0 else '"-Infinity"'


def _format_error(exc_type: type, exc: BaseException, tb: Any) -> str:
    """The last lines of a formatted traceback, which end with the exception itself."""
    text = "".join(traceback.format_exception(exc_type, exc, tb)).rstrip()
    text = "\n".join(text.splitlines()[-_ERROR_LINES:])
    return text[-_ERROR_CHARS:]


def _status_for(exc_type: Optional[type], exc: Optional[BaseException]) -> str:
    """How an exception escaping a run ends it: Ctrl+C is KILLED, ``sys.exit(0)`` FINISHED."""
    if exc_type is None:
        return "FINISHED"
    if issubclass(exc_type, KeyboardInterrupt):
        return "KILLED"
    if issubclass(exc_type, SystemExit) and getattr(exc, "code", None) in (None, 0):
        return "FINISHED"
    return "FAILED"


class Run(MediaLogging):
    """One run: a folder ``<store>/runs/<id>/`` whose ``events.jsonl`` this object appends to.

    Attributes: ``id``, ``name``, ``experiment``, ``dir`` (the run folder), ``store``,
    ``parent_id`` (the enclosing run's id, or None) and ``joined`` (True for a run the editor
    created and this process only logs into). Use it as a context manager to end it.
    """

    def __init__(
        self,
        run_id: str,
        name: str,
        experiment: str,
        store: str,
        parent_id: Optional[str] = None,
        joined: bool = False,
    ) -> None:
        self.id = run_id
        self.name = name
        self.experiment = experiment
        self.store = store
        self.dir = os.path.join(store, "runs", run_id)
        self.parent_id = parent_id
        self.joined = joined
        self.status = "RUNNING"
        self._pid = os.getpid()
        self._params: Dict[str, str] = {}
        self._param_lock = threading.Lock()
        # key -> [the line's middle part ',"key":<json>,"value":', itertools.count of next steps,
        #         the journal's list of the key's pending points, or None where points take a line each]
        self._metric_keys: Dict[str, List[Any]] = {}
        self._metric_lock = threading.Lock()
        self._ended = False
        # Called (in order, each once) when the run ends, before its run_end: the system-metrics
        # sampler and autolog's last points stop there. A hook that raises is reported, not raised.
        self._end_hooks: List[Callable[[], None]] = []
        self._init_media()
        try:
            os.makedirs(self.dir, exist_ok=True)
        except OSError as exc:
            warn("could not create the run folder %s: %s" % (self.dir, exc.strerror or exc))
        self._journal = Journal(os.path.join(self.dir, "events.jsonl"), "%s (%s)" % (name, run_id))
        # Batched metric lines (format 4), unless an editor of an older format recorded this store.
        recorded = _store.recorded_format(store)
        self._batched = recorded is None or recorded >= BATCHED_METRICS_FORMAT
        # The metric hot path appends to the journal's queue directly (Journal never rebinds it).
        self._lines = self._journal._lines
        self._flush_lines = self._journal.flush_lines

    def __repr__(self) -> str:
        return "<runlog.Run %s (%s) %s>" % (self.name, self.id, self.status)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Optional[type], exc: Optional[BaseException], tb: Any) -> bool:
        status = _status_for(exc_type, exc)
        error = _format_error(exc_type, exc, tb) if exc_type is not None and status != "FINISHED" else None
        self.end(status, error=error)
        return False  # never swallow the exception

    # --- writing events ---

    def _write(self, t: str, fields: dict) -> None:
        if self._ended:
            raise self._ended_error()
        self._journal.append(encode_event(t, fields))

    def log_param(self, key: str, value: Any) -> None:
        """Logs a parameter (stored as ``str(value)``). Parameters are write-once: logging a key
        again with the same value does nothing; with a different value raises ``ValueError``."""
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Logs several parameters; if any of them conflicts, none is written.

        Write-once holds between processes too (another script joined to the run, the MLflow
        endpoint): each new key is claimed first (``_claims.py``); a key another process already
        set to another value raises ``ValueError``.
        """
        items = [(_check_key(key, "parameter"), _param_value(key, value)) for key, value in params.items()]
        with self._param_lock:
            for key, text in items:
                old = self._params.get(key)
                if old is None:
                    old = _claims.claimed_value(self.dir, key)
                if old is not None and old != text:
                    raise self._param_conflict(key, old, text)
            for key, text in items:
                if key in self._params:
                    continue
                try:
                    stands = _claims.claim(self.dir, key, text)
                except OSError as exc:
                    # Unwritable store: the journal cannot take the line either; it stays queued.
                    warn("could not record parameter %r of run %s: %s" % (key, self.id, exc.strerror or exc))
                    stands = None
                if stands is not None:
                    raise self._param_conflict(key, stands, text)
                self._write("param", {"key": key, "value": text})
                self._params[key] = text

    def _param_conflict(self, key: str, old: str, text: str) -> ValueError:
        return ValueError(
            "parameter %r of run %s is already %r; it cannot change to %r "
            "(parameters are write-once: log values that change as metrics or tags)" % (key, self.name, old, text)
        )

    @property
    def params(self) -> Dict[str, str]:
        """The parameters logged so far (a copy)."""
        with self._param_lock:
            return dict(self._params)

    def set_tag(self, key: str, value: Any) -> None:
        """Sets a tag (stored as ``str(value)``); a later value overwrites an earlier one."""
        key = _check_key(key, "tag")
        self._write("tag", {"key": key, "value": _tag_value(key, value)})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        items = [(_check_key(key, "tag"), _tag_value(key, value)) for key, value in tags.items()]
        for key, text in items:
            self._write("tag", {"key": key, "value": text})

    def set_note(self, text: str) -> None:
        """Sets the run's note: Markdown, stored as MLflow keeps it (the tag ``mlflow.note.content``),
        shown in the Runs view's tooltips, the runs table and Compare. A later note replaces it."""
        if not isinstance(text, str):
            raise TypeError("a note is text (Markdown), not %s" % type(text).__name__)
        self._write("tag", {"key": NOTE_TAG, "value": _tag_value(NOTE_TAG, text)})

    def _metric_key(self, key: Any) -> List[Any]:
        """The cached line fragment and step counter of a metric key, created on first use."""
        with self._metric_lock:
            entry = self._metric_keys.get(key)
            if entry is None:
                encoded = json.dumps(_check_key(key, "metric"), ensure_ascii=False)
                # next() on an itertools.count is atomic under the GIL: automatic steps need no lock.
                points = self._journal.series(encoded) if self._batched else None
                entry = [',"key":%s,"value":' % encoded, itertools.count(), points]
                self._metric_keys[key] = entry
            return entry

    def _ended_error(self) -> RuntimeError:
        return RuntimeError("run %s (%s) has ended; start a new run to log more" % (self.name, self.id))

    def log_metric(self, key: str, value: Any, step: Optional[int] = None, timestamp: Optional[int] = None) -> None:
        """Logs one metric point. ``value`` goes through ``float()``; ``step`` defaults to this
        key's previous step + 1 (0 first); ``timestamp`` is in milliseconds (default: now)."""
        # The hot path: a training loop may call this millions of times, so the line is assembled
        # by hand from a per-key cached fragment, and rare cases live in helpers. The module-level
        # log_metric repeats these lines to save a call; test_run checks that both write alike.
        if self._ended:
            raise self._ended_error()
        value = float(value)
        entry = self._metric_keys.get(key) or self._metric_key(key)
        step = next(entry[1]) if step is None else _explicit_step(entry, step)
        ts = _time_ns() // 1000000 if timestamp is None else int(timestamp)
        points = entry[2]
        if points is not None:  # batched: the journal writes them as one line per key and write
            points.append((step, ts, value))
            if len(points) >= self._flush_lines:
                self._journal._on_full()
            return
        lines = self._lines  # a store of an older format: a line per point
        if value - value == 0.0:  # finite: repr() round-trips and always reads as a JSON number
            lines.append(f'{{"t":"metric","ts":{ts}{entry[0]}{value!r},"step":{step}}}\n')
        else:
            lines.append(f'{{"t":"metric","ts":{ts}{entry[0]}{_non_finite(value)},"step":{step}}}\n')
        if len(lines) >= self._flush_lines:
            self._journal._on_full()

    def log_metrics(self, metrics: Mapping[str, Any], step: Optional[int] = None, timestamp: Optional[int] = None) -> None:
        """Logs several metrics with one timestamp (and one step, if given)."""
        values = [(key, float(value)) for key, value in metrics.items()]
        ts = now_ms() if timestamp is None else int(timestamp)
        for key, value in values:
            self.log_metric(key, value, step, ts)

    def log_artifact(self, path: PathArg, artifact_path: Optional[str] = None) -> None:
        """Copies a file, or a folder recursively, to ``artifacts/[artifact_path/]<name>`` in the
        run folder, with one ``artifact`` event (path, size, sha256) per file copied.

        A missing ``path`` raises ``FileNotFoundError``; a file that cannot be copied is reported
        on stderr and skipped, so a full disk does not end the training.
        """
        source = os.fspath(path)
        if not os.path.exists(source):
            raise FileNotFoundError("runlog: no file or folder %r to log as an artifact" % source)
        prefix = _clean_artifact_path(artifact_path)
        base = os.path.basename(os.path.abspath(source)) or "artifact"
        target_root = os.path.join(self.dir, "artifacts")
        if os.path.isdir(source):
            # Never copy the store into itself (logging the project folder, say).
            store = os.path.realpath(self.store)
            files = _files.list_files(source, prune=lambda folder: os.path.realpath(folder) == store)
            entries = [(file, "%s/%s" % (base, relative)) for file, relative in files]
        else:
            entries = [(source, base)]
        for file, relative in entries:
            relative = "%s/%s" % (prefix, relative) if prefix else relative
            target = os.path.join(target_root, *relative.split("/"))
            try:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                size, digest = _files.copy_with_digest(file, target)
            except OSError as exc:
                warn("could not copy %s to %s: %s" % (file, target, exc.strerror or exc))
                continue
            self._write("artifact", {"path": relative, "size": size, "sha256": digest})

    def log_model(
        self,
        path: PathArg,
        name: str = "model",
        flavor: str = "pickle",
        signature: Optional[Dict[str, Any]] = None,
        input_example: Any = None,
    ) -> "_model.LoggedModel":
        """Logs a model: copies the file or folder into ``artifacts/<name>/``, writes an ``MLmodel``
        manifest in MLflow's layout (and ``input_example.json`` when given), the model's
        ``requirements.txt`` and ``python_env.yaml`` from this environment (unless the model
        brings its own), and records a ``model`` event with every file's size and SHA-256. Returns
        an object whose ``uri`` is ``runs:/<run-id>/<name>``. A store that cannot be written (full,
        read-only) is reported on stderr, not raised; the model is then not recorded.
        """
        source = os.fspath(path)
        name = (name or "").strip("/")
        _model.check(name, flavor, source)
        model_uuid = _model.new_uuid()
        try:
            if os.path.isfile(source):
                data = os.path.basename(os.path.abspath(source))
                self.log_artifact(source, name)
                copied = {data}
            else:
                data = "."
                copied = set()
                for file, relative in _files.list_files(source):
                    self.log_artifact(file, "/".join([name] + relative.split("/")[:-1]))
                    copied.add(relative)
        except OSError as exc:
            # A full or read-only disk must not end the training: said, and the model is not recorded.
            warn("could not log model %r of run %s: %s" % (name, self.id, exc.strerror or exc))
            return _model.LoggedModel(self.id, name, flavor, model_uuid)
        return self._log_model_folder(name, flavor, data, signature, input_example, copied, model_uuid=model_uuid)

    def _log_model_folder(
        self,
        name: str,
        flavor: str,
        data: str,
        signature: Optional[Dict[str, Any]],
        input_example: Any,
        recorded: "set",
        flavor_conf: Optional[Dict[str, str]] = None,
        digests: Optional[Dict[str, Any]] = None,
        model_uuid: Optional[str] = None,
    ) -> "_model.LoggedModel":
        """Completes the model in ``artifacts/<name>/``, whose files are in place: the input example,
        the manifest, the requirements, an ``artifact`` event for each file not in ``recorded``
        (relative to the folder) and the ``model`` event. ``digests`` gives the (size, sha256) of
        files the caller hashed while writing them, which are not read again. A store that cannot
        be written is reported on stderr, not raised; the model is then not recorded."""
        model_uuid = model_uuid or _model.new_uuid()
        try:
            self._complete_model_folder(name, flavor, data, signature, input_example, recorded, flavor_conf,
                                        digests, model_uuid)
        except OSError as exc:
            warn("could not log model %r of run %s: %s" % (name, self.id, exc.strerror or exc))
        return _model.LoggedModel(self.id, name, flavor, model_uuid)

    def _complete_model_folder(self, name: str, flavor: str, data: str, signature: Optional[Dict[str, Any]],
                               input_example: Any, recorded: "set", flavor_conf: Optional[Dict[str, str]],
                               digests: Optional[Dict[str, Any]], model_uuid: str) -> None:
        folder = os.path.join(self.dir, "artifacts", *name.split("/"))
        os.makedirs(folder, exist_ok=True)
        if input_example is not None:
            with open(os.path.join(folder, "input_example.json"), "w", encoding="utf-8") as handle:
                json.dump(input_example, handle)
        with open(os.path.join(folder, "MLmodel"), "w", encoding="utf-8") as handle:
            handle.write(_model.manifest(name, flavor, self.id, model_uuid, data, signature, __version__, flavor_conf))
        rewritten = {"MLmodel", "input_example.json"} if input_example is not None else {"MLmodel"}
        try:
            rewritten.update(
                _environment.write_model_environment(
                    folder, _environment.model_modules(folder), _model.FLAVOR_DISTRIBUTIONS.get(flavor, ())
                )
            )
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - the model is logged even if its requirements are not
            warn("could not write the requirements of model %s: %r" % (name, exc))
        files = []
        for file, relative in _files.list_files(folder):
            size, digest = (digests or {}).get(relative) or (os.path.getsize(file), _files.sha256_file(file))
            entry = {"path": "%s/%s" % (name, relative), "size": size, "sha256": digest}
            files.append(entry)
            if relative not in recorded or relative in rewritten:
                self._write("artifact", dict(entry))
        event: Dict[str, Any] = {"name": name, "flavor": flavor, "uuid": model_uuid, "files": files}
        if signature:
            event["signature"] = json.dumps(signature, sort_keys=True)
        self._write("model", event)

    def log_input(self, path: PathArg, name: Optional[str] = None) -> str:
        """Records a dataset the run read, with a digest of its content; returns the digest.

        A file's digest is the SHA-256 of its bytes; a folder's is a SHA-256 over its files'
        relative paths and SHA-256s (see ``_files.folder_digest``). ``name`` defaults to the
        file or folder name.
        """
        given = os.fspath(path)
        if not os.path.exists(given):
            raise FileNotFoundError("runlog: no file or folder %r to log as an input" % given)
        try:
            digest = _files.sha256_file(given) if os.path.isfile(given) else _files.folder_digest(given)
        except OSError as exc:
            warn("could not read %s to digest it: %s; the input is not recorded" % (given, exc.strerror or exc))
            return ""
        name = name or os.path.basename(os.path.abspath(given)) or given
        self._write("input", {"name": name, "path": given, "digest": digest})
        return digest

    # --- ending ---

    def end(self, status: str = "FINISHED", error: Optional[str] = None) -> None:
        """Ends the run (and any run still active inside it) with ``status``.

        A joined run (one the editor created) writes no ``run_end``: the editor records the end
        with the exit code when the process finishes. Ending an ended run does nothing.
        """
        if status not in END_STATUSES:
            raise ValueError("a run ends with one of %s, not %r" % (", ".join(END_STATUSES), status))
        with _state_lock:
            if self._ended:
                return
            if self in _stack:
                while _stack[-1] is not self:
                    _stack[-1]._finish(status, None)
                    _stack.pop()
                _stack.pop()
            self._finish(status, error)

    def _finish(self, status: str, error: Optional[str]) -> None:
        if self._ended:
            return
        hooks, self._end_hooks = self._end_hooks, []
        for hook in hooks:
            try:
                hook()
            except Exception as exc:  # noqa: BLE001 - ending the run matters more
                warn("while ending run %s: %r" % (self.id, exc))
        if not self.joined:
            fields: Dict[str, Any] = {"status": status}
            if error:
                fields["error"] = error
            self._journal.queue_points()
            self._journal.append(encode_event("run_end", fields))
        self._ended = True
        self.status = status
        self._journal.close()


def _clean_artifact_path(artifact_path: Optional[str]) -> str:
    """``artifact_path`` as a relative POSIX path inside artifacts/ ('' for none)."""
    if not artifact_path:
        return ""
    parts = [part for part in os.fspath(artifact_path).replace("\\", "/").split("/") if part not in ("", ".")]
    if os.path.isabs(artifact_path) or ".." in parts:
        raise ValueError("artifact_path must be a relative path inside the run's artifacts, not %r" % artifact_path)
    return "/".join(parts)


# The active runs, innermost last, and the lock that guards starting and ending them.
_stack: List[Run] = []
_state_lock = threading.RLock()
