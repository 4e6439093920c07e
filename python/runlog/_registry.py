"""The model registry from Python: register versions, move aliases, resolve model URIs.

The registry is the append-only journal ``<store>/registry/events.jsonl`` (docs/JOURNAL.md), which
the editor's store ingests. A change takes ``<store>/registry/.lock``, reads the journal to know the
current state (``_registry_state``, the store's rules), appends its events with the version number
written out, and fsyncs before unlocking: two processes registering at once get different versions,
and the number returned is the one the store will show. Reads need no lock: a line is appended whole
by one ``write``, and a last line still being written is not read.
"""

import os
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple, TypeVar

from . import _lock, _logged_models, _registry_state, _store
from ._errors import raises_store_error
from ._journal import encode_event
from ._run import _stack

T = TypeVar("T")
REGISTRY_DIR = "registry"
JOURNAL = "events.jsonl"
LOCK = ".lock"
# MLflow's rule: aliases are word characters and dashes; "latest" and v<number> would be ambiguous in URIs.
_ALIAS = re.compile(r"[A-Za-z0-9_-]{1,255}\Z")
_RESERVED_ALIAS = re.compile(r"(latest|v\d+)\Z", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ModelNotFoundError(LookupError):
    """A model URI names a model, version, alias, run or folder that does not exist."""


class ModelVersion:
    """A registered model version: ``name``, ``version``, and the model it points at: a run's model
    folder (``run_id``, ``source``) or one of MLflow 3's logged models (``model_id``)."""

    def __init__(self, name: str, state: "_registry_state.VersionState", aliases: List[str]) -> None:
        self.name = name
        self.version = state.version
        self.run_id = state.run_id
        # The model's folder in the run's artifacts, as the journal and the store keep it (None for a
        # version of a logged model).
        self.source = state.source
        self.model_id = state.model_id
        self.description = state.description
        self.tags = dict(state.tags)
        self.stage = state.stage
        self.aliases = sorted(aliases)
        self.created = state.created

    @property
    def uri(self) -> str:
        return "models:/%s/%d" % (self.name, self.version)

    @property
    def source_uri(self) -> str:
        if self.model_id:
            return "models:/%s" % self.model_id
        return "runs:/%s/%s" % (self.run_id, self.source)

    def __repr__(self) -> str:
        return "ModelVersion(%r, version=%d, source=%r)" % (self.name, self.version, self.source_uri)


def store_for(store: Optional[str]) -> str:
    """The store folder: the one given, else the active run's, else the one a new run would use."""
    if store is not None:
        return os.path.abspath(os.fspath(store))
    if _stack:
        return _stack[-1].store
    return _store.find_store()


def read_state(store: str) -> _registry_state.RegistryState:
    try:
        with open(os.path.join(store, REGISTRY_DIR, JOURNAL), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        data = b""
    return _registry_state.derive(data)


def _append(path: str, data: bytes) -> None:
    """Appends with one ``write`` per attempt, then fsyncs (the folder too, for a new file)."""
    created = not os.path.exists(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created and hasattr(os, "O_DIRECTORY"):
        folder = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _change(store: str, what: str, build: Callable[[_registry_state.RegistryState], List[Dict[str, Any]]],
            result: Callable[[_registry_state.RegistryState], T]) -> T:
    """Under the lock: reads the state, builds the events, checks them by the store's rules, appends."""
    folder = os.path.join(store, REGISTRY_DIR)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, JOURNAL)
    with _lock.exclusive(os.path.join(folder, LOCK)):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            data = b""
        state = _registry_state.derive(data)
        lines = []
        for fields in build(state):
            # 'replace': lone surrogates (from file names, say) must not make invalid UTF-8.
            line = encode_event("registry", fields).encode("utf-8", "replace")
            event, problem = _registry_state.parse_line(line)
            if event is not None:
                problem = state.apply(event)
            if problem:
                raise ValueError("runlog.%s: %s" % (what, problem))
            lines.append(line)
        # A writer that died mid-line left a fragment: end it, so our line is not glued to it.
        prefix = b"\n" if data and not data.endswith(b"\n") else b""
        _append(path, prefix + b"".join(lines))
        return result(state)


def check_model_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.strip() or "/" in name or "@" in name or _CONTROL.search(name):
        raise ValueError("runlog.%s: a model name must be non-empty text without '/', '@' or control "
                         "characters, not %r" % (what, name))
    return name


def _check_alias(alias: Any, what: str) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or _RESERVED_ALIAS.match(alias):
        raise ValueError("runlog.%s: an alias is letters, digits, '_' and '-' (not 'latest' or v<number>), "
                         "not %r" % (what, alias))
    return alias


def _check_version(version: Any, what: str) -> int:
    try:
        number = int(version)
    except (TypeError, ValueError):
        number = 0
    if isinstance(version, bool) or number <= 0 or (isinstance(version, float) and version != number):
        raise ValueError("runlog.%s: a version is a positive integer, not %r" % (what, version))
    return number


def parse_runs_uri(uri: str) -> Tuple[str, str]:
    """``runs:/<run-id>/<path>`` as (run id, path inside the run's artifacts)."""
    rest = uri[len("runs:/"):] if uri.startswith("runs:/") else None
    run_id, _, path = (rest or "").lstrip("/").partition("/")
    parts = [part for part in path.split("/") if part]
    if rest is None or not _store.is_valid_run_id(run_id) or not parts or "\\" in path or \
            any(part in (".", "..") for part in parts):
        raise ValueError("not a model URI of the form runs:/<run-id>/<path>: %r" % uri)
    return run_id, "/".join(parts)


def _version(state: _registry_state.RegistryState, name: str, selector: str, alias: bool) -> ModelVersion:
    model = state.models.get(name)
    if model is None:
        raise ModelNotFoundError("no registered model %r" % name)
    if alias:
        if selector not in model.aliases:
            raise ModelNotFoundError("registered model %r has no alias %r" % (name, selector))
        found = model.live(model.aliases[selector])
    elif selector.lower() == "latest":
        found = model.latest()
        if found is None:
            raise ModelNotFoundError("registered model %r has no versions" % name)
    else:
        found = model.live(int(selector)) if selector.isdigit() else None
        if found is None:
            raise ModelNotFoundError("registered model %r has no version %r" % (name, selector))
    assert found is not None  # an alias always points at a live version
    return ModelVersion(name, found, [a for a, v in model.aliases.items() if v == found.version])


# MLflow's logged model ids: "m-" and 32 hex digits.
_MLFLOW_MODEL_ID = re.compile(r"m-[0-9a-f]{32}\Z")


def _logged_model_uri(store: str, rest: str) -> bool:
    """Whether ``models:/<rest>`` names a logged model: one of the store, or an id in MLflow's form
    (which then resolves to "no such logged model" rather than to a malformed URI)."""
    if not _logged_models.is_model_id(rest):
        return False
    return _MLFLOW_MODEL_ID.match(rest) is not None or _logged_models.get(store, rest) is not None


class Location(NamedTuple):
    """Where a model URI leads: a run's model folder (``run_id``, ``path``) or a logged model (``model_id``)."""

    store: str
    run_id: Optional[str]
    path: Optional[str]
    model_id: Optional[str]


def locate(uri: Any, store: Optional[str] = None) -> Location:
    """Where a ``runs:/``, ``models:/<name>/<version>``, ``models:/<name>@<alias>`` or
    ``models:/<model_id>`` (one of MLflow 3's logged models) URI leads."""
    text = getattr(uri, "uri", uri)
    if not isinstance(text, str):
        raise TypeError("a model URI is a string, not %r" % (uri,))
    folder = store_for(store)
    if text.startswith("models:/"):
        rest = text[len("models:/"):]
        if "/" not in rest and "@" not in rest and _logged_model_uri(folder, rest):
            return Location(folder, None, None, rest)
        if "@" in rest:
            name, _, selector = rest.rpartition("@")
            alias = True
        else:
            name, _, selector = rest.rpartition("/")
            alias = False
        if not name or not selector:
            raise ValueError("not a model URI of the form models:/<name>/<version|latest>, "
                             "models:/<name>@<alias> or models:/<model_id>: %r" % text)
        version = _version(read_state(folder), name, selector, alias)
        if version.model_id:
            return Location(folder, version.run_id, None, version.model_id)
        return Location(folder, version.run_id, version.source, None)
    run_id, path = parse_runs_uri(text)
    return Location(folder, run_id, path, None)


@raises_store_error("resolve_model_uri")
def resolve_model_uri(uri: Any, store: Optional[str] = None) -> Path:
    """The local folder of a model: ``models:/name@alias``, ``models:/name/3``, ``models:/name/latest``,
    ``models:/<model_id>`` → ``<store>/models/<model_id>/artifacts``, or ``runs:/<run-id>/<path>`` →
    ``<store>/runs/<run-id>/artifacts/<path>``."""
    where = locate(uri, store)
    if where.model_id:
        if _logged_models.get(where.store, where.model_id) is None:
            raise ModelNotFoundError("no logged model %s in the store %s" % (where.model_id, where.store))
        target = _logged_models.folder(where.store, where.model_id)
        if not target.is_dir():
            raise ModelNotFoundError("logged model %s has no files" % where.model_id)
        return target
    run = Path(where.store, "runs", str(where.run_id))
    if not run.is_dir():
        raise ModelNotFoundError("no run %s in the store %s" % (where.run_id, where.store))
    target = run.joinpath("artifacts", *str(where.path).split("/"))
    if not target.is_dir():
        raise ModelNotFoundError("run %s has no model folder %r" % (where.run_id, where.path))
    return target


@raises_store_error("register_model")
def register_model(model_uri: Any, name: str, description: Optional[str] = None,
                   tags: Optional[Mapping[str, Any]] = None, store: Optional[str] = None) -> ModelVersion:
    """Registers the model at ``runs:/<run-id>/<path>`` (or a ``log_model`` result), or the logged model
    at ``models:/<model_id>``, as the next version of ``name``, creating the registered model on its
    first version."""
    name = check_model_name(name, "register_model")
    folder = store_for(store)
    text = model_uri if isinstance(model_uri, str) else getattr(model_uri, "uri", None)
    if not isinstance(text, str):
        raise TypeError("runlog.register_model: model_uri is a runs:/ URI or what log_model returned, not %r"
                        % (model_uri,))
    fields: Dict[str, Any] = {"action": "create_version", "model": name}
    rest = text[len("models:/"):] if text.startswith("models:/") else None
    where = locate(text, folder) if rest is not None and _logged_model_uri(folder, rest) else None
    if where is not None and where.model_id:
        logged = _logged_models.get(folder, where.model_id)
        if logged is None:
            raise ModelNotFoundError("no logged model %s in the store %s" % (where.model_id, folder))
        fields["model_id"] = where.model_id
        if logged.source_run_id:
            fields["run_id"] = logged.source_run_id
    else:
        run_id, path = parse_runs_uri(text)
        resolve_model_uri("runs:/%s/%s" % (run_id, path), folder)
        fields.update(run_id=run_id, source=path)
    if description is not None:
        fields["description"] = str(description)
    if tags:
        fields["tags"] = {str(key): str(value) for key, value in tags.items()}

    def build(state: _registry_state.RegistryState) -> List[Dict[str, Any]]:
        model = state.models.get(name)
        return [dict(fields, version=model.next_version() if model else 1)]

    def result(state: _registry_state.RegistryState) -> ModelVersion:
        model = state.models[name]
        latest = model.versions[max(model.versions)]
        return ModelVersion(name, latest, [])

    return _change(folder, "register_model", build, result)


class AliasMovedError(ValueError):
    """``set_alias(..., current=...)`` found the alias pointing elsewhere: someone moved it first."""


_ANYWHERE = object()


@raises_store_error("set_alias")
def set_alias(name: str, alias: str, version: Any, store: Optional[str] = None, current: Any = _ANYWHERE) -> None:
    """Points ``alias`` at ``version`` of ``name`` (moving it if it pointed elsewhere).

    With ``current`` (a version number, or None for "no version"), only if the alias still points
    there, checked under the registry's lock; else raises AliasMovedError and changes nothing. A
    script that promotes a better model reads the champion, compares, and sets with ``current``, so
    two runs finishing at once cannot leave the worse one as champion.
    """
    name = check_model_name(name, "set_alias")
    fields = {"action": "set_alias", "model": name, "alias": _check_alias(alias, "set_alias"),
              "version": _check_version(version, "set_alias")}
    expected = current if current is _ANYWHERE or current is None else _check_version(current, "set_alias")

    def build(state: _registry_state.RegistryState) -> List[Dict[str, Any]]:
        model = state.models.get(name)
        now = model.aliases.get(alias) if model is not None else None
        if expected is not _ANYWHERE and now != expected:
            raise AliasMovedError("runlog.set_alias: %r of %r points at %s, not %s" % (
                alias, name, "version %d" % now if now else "no version",
                "version %d" % expected if expected else "no version"))
        return [fields]

    _change(store_for(store), "set_alias", build, lambda state: None)


@raises_store_error("delete_alias")
def delete_alias(name: str, alias: str, store: Optional[str] = None) -> None:
    """Removes ``alias`` from ``name``; raises ValueError if the model has no such alias."""
    fields = {"action": "delete_alias", "model": check_model_name(name, "delete_alias"), "alias": alias}
    _change(store_for(store), "delete_alias", lambda state: [fields], lambda state: None)


@raises_store_error("delete_model_version")
def delete_model_version(name: str, version: Any, store: Optional[str] = None) -> None:
    """Deletes a version (its aliases go with it; its number is never reused)."""
    fields = {"action": "delete_version", "model": check_model_name(name, "delete_model_version"),
              "version": _check_version(version, "delete_model_version")}
    _change(store_for(store), "delete_model_version", lambda state: [fields], lambda state: None)


@raises_store_error("get_model_version")
def get_model_version(name: str, version: Any, store: Optional[str] = None) -> Optional[ModelVersion]:
    """A version of ``name`` (a number or ``"latest"``), or None if there is none."""
    try:
        return _version(read_state(store_for(store)), name, str(version), alias=False)
    except ModelNotFoundError:
        return None


@raises_store_error("get_model_version_by_alias")
def get_model_version_by_alias(name: str, alias: str, store: Optional[str] = None) -> Optional[ModelVersion]:
    """The version ``alias`` points at, or None."""
    try:
        return _version(read_state(store_for(store)), name, alias, alias=True)
    except ModelNotFoundError:
        return None
