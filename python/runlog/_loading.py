"""Loading a logged model back: verify its files against the run's ``model`` event, then unpickle.

Unpickling runs code, so nothing is unpickled until every file of the model folder matches the
size and SHA-256 the run recorded when it logged the model, and the folder holds no file the run
did not record.
"""

import json
import os
import pickle
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from . import _files, _logged_models, _registry
from ._errors import raises_store_error

LOADABLE = ("sklearn", "pickle", "pytorch")
_CHUNK = 1 << 20


class ModelLoadError(RuntimeError):
    """The model cannot be loaded: unknown flavor, missing library, no manifest."""


class ModelIntegrityError(ModelLoadError):
    """A model file differs from what the run recorded: it is not loaded."""


def _journal_lines(path: str, marker: bytes) -> Iterator[bytes]:
    """The complete lines of a journal that contain ``marker``, read a piece at a time (journals of
    long runs are mostly metric points)."""
    with open(path, "rb") as handle:
        rest = b""
        for piece in iter(lambda: handle.read(_CHUNK), b""):
            lines = (rest + piece).split(b"\n")
            rest = lines.pop()
            for line in lines:
                if marker in line:
                    yield line


def model_event(store: str, run_id: str, name: str) -> Optional[Dict[str, Any]]:
    """The run's last ``model`` event for the folder ``name``, or None."""
    path = os.path.join(store, "runs", run_id, "events.jsonl")
    found = None
    try:
        for line in _journal_lines(path, b'"model"'):
            try:
                event = json.loads(line.decode("utf-8", "replace"))
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("t") == "model" and event.get("name") == name \
                    and isinstance(event.get("files"), list):
                found = event
    except FileNotFoundError:
        return None
    return found


def verify(folder: Path, name: str, event: Dict[str, Any]) -> None:
    """Raises ModelIntegrityError unless the folder's files are exactly the recorded ones, unchanged."""
    expected: Dict[str, Dict[str, Any]] = {}
    prefix = name + "/"
    for entry in event["files"]:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not path.startswith(prefix):
            raise ModelIntegrityError("the model event of %s lists a file outside it: %r" % (name, path))
        expected[path[len(prefix):]] = entry
    present = {relative: file for file, relative in _files.list_files(str(folder))}
    extra = sorted(set(present) - set(expected))
    if extra:
        raise ModelIntegrityError("%s holds a file the run did not log with the model: %s; refusing to load it"
                                  % (folder, extra[0]))
    for relative, entry in sorted(expected.items()):
        if relative not in present:
            raise ModelIntegrityError("model file %s/%s is missing from %s" % (name, relative, folder))
        actual = _files.sha256_file(present[relative])
        if actual != entry.get("sha256"):
            raise ModelIntegrityError(
                "model file %s/%s changed since it was logged (sha256 %s, recorded %s); refusing to load it"
                % (name, relative, actual, entry.get("sha256")))


def _scalar(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text.strip("'")


def parse_mlmodel(text: str) -> Dict[str, Any]:
    """The mappings of an MLmodel file (the YAML subset MLflow and Runlog write: nested ``key: value``
    blocks; list items are skipped)."""
    root: Dict[str, Any] = {}
    stack: List[Any] = [(-1, root)]
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("- ") or ":" not in stripped:
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack[-1][0] >= indent:
            stack.pop()
        key, _, value = stripped.partition(":")
        parent = stack[-1][1]
        if value.strip():
            parent[key.strip()] = _scalar(value)
        else:
            child: Dict[str, Any] = {}
            parent[key.strip()] = child
            stack.append((indent, child))
    return root


def _data_file(folder: Path, conf: Dict[str, Any], suffixes: tuple, defaults: tuple) -> Path:
    """The file a flavor loads: its ``data`` (or MLflow's ``pickled_model``), or in a folder the
    conventional name or the only file with a matching suffix."""
    data = conf.get("data") or conf.get("pickled_model") or conf.get("model_data") or "."
    target = (folder / str(data)).resolve()
    if folder.resolve() not in target.parents and target != folder.resolve():
        raise ModelLoadError("the MLmodel's data path %r leaves the model folder" % data)
    if target.is_file():
        return target
    for name in defaults:
        if (target / name).is_file():
            return target / name
    matches = sorted(p for p in target.iterdir() if p.is_file() and p.suffix in suffixes) if target.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    raise ModelLoadError("cannot tell which file of %s is the model: name it in the MLmodel's data" % target)


def _unpickle(folder: Path, path: Path) -> Any:
    code = folder / "code"
    # MLflow's convention: a model's own classes travel in code/, importable while unpickling.
    if code.is_dir() and str(code) not in sys.path:
        sys.path.insert(0, str(code))
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # a __pycache__ in the verified folder would fail the next check
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    finally:
        sys.dont_write_bytecode = saved


def _torch_module() -> Any:
    try:
        import torch  # type: ignore[import-not-found]
    except ImportError:
        raise ModelLoadError("the model's flavor is pytorch, but torch is not installed for %s "
                             "(pip install torch)" % sys.executable) from None
    return torch


def _load_torch(path: Path) -> Any:
    torch = _torch_module()
    try:
        # The files were verified: a whole pickled module, not only weights, is expected.
        return torch.load(str(path), map_location="cpu", weights_only=False)
    except TypeError:  # torch before 1.13 has no weights_only
        return torch.load(str(path), map_location="cpu")


def _import_class(path: str) -> Any:
    """The class at ``module.Qualified.Name`` (``__main__.Net`` from the running script)."""
    import importlib

    module_name, _, qualname = path.rpartition(".")
    candidates = [(module_name, qualname)]
    # A nested qualname (Outer.Inner): the module is a shorter prefix.
    parts = path.split(".")
    for cut in range(len(parts) - 2, 0, -1):
        candidates.append((".".join(parts[:cut]), ".".join(parts[cut:])))
    problem: Optional[BaseException] = None
    for module_name, qualname in candidates:
        try:
            value: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                value = getattr(value, part)
            return value
        except (ImportError, AttributeError) as exc:
            problem = problem or exc
    hint = (" (it was defined in the training script: define or import it in the script that loads the model)"
            if path.startswith("__main__.") else "")
    raise ModelLoadError("the model's class %s cannot be imported here: %s%s" % (path, problem, hint))


def _load_torch_by_class(folder: Path, conf: Dict[str, Any]) -> Any:
    """A model runlog.pytorch.log_model logged: the whole module (data/model.pth), else a new
    instance of its class given the weights (data/state_dict.pth)."""
    data = str(conf.get("model_data") or "data")
    whole = _inside(folder, "%s/model.pth" % data)
    if whole.is_file():
        try:
            return _load_torch(whole)
        except (AttributeError, ImportError) as exc:  # unpickling could not find the class
            raise ModelLoadError("the model's class %s cannot be imported here: %s%s" % (
                conf["model_class"], exc,
                " (it was defined in the training script: define or import it in the script that loads the model)"
                if str(conf["model_class"]).startswith("__main__.") else "")) from None
    torch = _torch_module()
    cls = _import_class(conf["model_class"])
    try:
        model = cls()
    except TypeError as exc:
        raise ModelLoadError("the model was logged as weights only, and its class %s cannot be built without "
                             "arguments: %s" % (conf["model_class"], exc)) from None
    state = _inside(folder, str(conf.get("state_dict") or "%s/state_dict.pth" % data))
    try:
        weights = torch.load(str(state), map_location="cpu", weights_only=True)
    except TypeError:  # torch before 1.13
        weights = torch.load(str(state), map_location="cpu")
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:  # the class built without arguments has other shapes
        raise ModelLoadError("the model was logged as weights only, and they do not fit a %s built without "
                             "arguments: %s" % (conf["model_class"], str(exc).strip().splitlines()[-1].strip())) from None
    return model


def _inside(folder: Path, relative: str) -> Path:
    target = (folder / relative).resolve()
    if folder.resolve() not in target.parents:
        raise ModelLoadError("the MLmodel's path %r leaves the model folder" % relative)
    return target


@raises_store_error("load_model")
def load_model(uri: Any, store: Optional[str] = None) -> Any:
    """Loads the model at a ``runs:/`` or ``models:/`` URI: pickle and sklearn flavors, pytorch when
    torch is installed. Its files are checked against the run's record first."""
    where = _registry.locate(uri, store)
    if where.model_id:
        folder = _registry.resolve_model_uri("models:/%s" % where.model_id, where.store)
        logged = _logged_models.get(where.store, where.model_id)
        if logged is None or not logged.files:
            raise ModelLoadError("logged model %s has no recorded files (their digests come with the upload); "
                                 "Runlog does not load files it cannot verify" % where.model_id)
        path = where.model_id
        event: Optional[Dict[str, Any]] = _logged_models.model_event(logged)
    else:
        path = str(where.path)
        folder = _registry.resolve_model_uri("runs:/%s/%s" % (where.run_id, path), where.store)
        event = model_event(where.store, str(where.run_id), path)
        if event is None:
            raise ModelLoadError("run %s logged no model %r (log_model records its files' digests); "
                                 "Runlog does not load files it cannot verify" % (where.run_id, path))
    verify(folder, path, event)
    try:
        manifest = parse_mlmodel((folder / "MLmodel").read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelLoadError("%s has no readable MLmodel manifest: %s" % (folder, exc.strerror or exc)) from None
    flavors = manifest.get("flavors") if isinstance(manifest.get("flavors"), dict) else {}
    flavor = next((f for f in LOADABLE if f in flavors), None)
    if flavor is None:
        names = ", ".join(sorted(flavors)) or "none"
        raise ModelLoadError("cannot load a model of flavor %s: Runlog loads %s" % (names, ", ".join(LOADABLE)))
    conf = flavors[flavor] if isinstance(flavors[flavor], dict) else {}
    if flavor == "pytorch":
        if isinstance(conf.get("model_class"), str):
            return _load_torch_by_class(folder, conf)
        return _load_torch(_data_file(folder, conf, (".pt", ".pth"), ("model.pth", "model.pt", "data/model.pth")))
    return _unpickle(folder, _data_file(folder, conf, (".pkl", ".pickle"), ("model.pkl",)))
