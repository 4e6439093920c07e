"""MLflow 3's logged models of a store, as the Python client needs them.

A logged model (a model with an id of its own, ``m-<hex>``, that MLflow code logs through Runlog's
MLflow endpoint) lives in ``<store>/models/events.jsonl`` (journal format 3, docs/JOURNAL.md) with its
files in ``<store>/models/<model_id>/artifacts/``. The client reads the journal to resolve
``models:/<model_id>`` and registered versions of logged models, and to check a model's files against
their recorded digests before loading them. The rules are the store's (src/store/loggedModelIngest.ts):
events for a model the journal has not created, or has deleted, do not count.
"""

import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

MODELS_DIR = "models"
JOURNAL = "events.jsonl"
_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")


def is_model_id(text: Any) -> bool:
    return isinstance(text, str) and _MODEL_ID.match(text) is not None


class LoggedModel:
    """What the client knows of one logged model: its name, source run, status and recorded files."""

    __slots__ = ("model_id", "name", "source_run_id", "status", "files", "deleted")

    def __init__(self, model_id: str, name: str, source_run_id: Optional[str]) -> None:
        self.model_id = model_id
        self.name = name
        self.source_run_id = source_run_id
        self.status = "PENDING"
        self.files: Dict[str, Dict[str, Any]] = {}
        self.deleted = False


def _safe_path(path: Any) -> bool:
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def read(store: str) -> Dict[str, LoggedModel]:
    """Every logged model the journal creates (deleted ones flagged), by id."""
    models: Dict[str, LoggedModel] = {}
    try:
        with open(os.path.join(store, MODELS_DIR, JOURNAL), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return models
    # A last line without its newline is still being written: not read, as the store does not read it.
    for raw in data.split(b"\n")[:-1]:
        try:
            event = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            continue
        if not isinstance(event, dict) or event.get("t") != "logged_model" or not is_model_id(event.get("model_id")):
            continue
        model_id = event["model_id"]
        action = event.get("action")
        known = models.get(model_id)
        if action == "create":
            if known is None and isinstance(event.get("name"), str) and isinstance(event.get("experiment_id"), str):
                source = event.get("source_run_id")
                models[model_id] = LoggedModel(model_id, event["name"], source if isinstance(source, str) else None)
            continue
        if known is None or known.deleted:
            continue
        if action == "finalize" and event.get("status") in ("READY", "FAILED"):
            known.status = event["status"]
        elif action == "artifact" and _safe_path(event.get("path")) and isinstance(event.get("sha256"), str):
            known.files[event["path"]] = {"path": event["path"], "size": event.get("size"), "sha256": event["sha256"]}
        elif action == "remove_artifact" and isinstance(event.get("path"), str):
            gone = event["path"]
            for path in [p for p in known.files if p == gone or p.startswith(gone + "/")]:
                del known.files[path]
        elif action == "delete":
            known.deleted = True
    return models


def get(store: str, model_id: str) -> Optional[LoggedModel]:
    """The live logged model ``model_id`` of the store, or None."""
    found = read(store).get(model_id)
    return found if found is not None and not found.deleted else None


def folder(store: str, model_id: str) -> Path:
    return Path(store, MODELS_DIR, model_id, "artifacts")


def model_event(model: LoggedModel) -> Dict[str, Any]:
    """The model's recorded files in the shape of a run's ``model`` event (for ``_loading.verify``)."""
    files: List[Dict[str, Any]] = [dict(entry, path="%s/%s" % (model.model_id, path))
                                   for path, entry in sorted(model.files.items())]
    return {"t": "model", "name": model.model_id, "files": files}
