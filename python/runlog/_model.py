"""Logged models: a folder of a run's artifacts with an ``MLmodel`` manifest in MLflow's layout."""

import datetime
import json
import os
import uuid
from typing import Any, Dict, List, Optional

FLAVORS = ("pickle", "sklearn", "pytorch", "onnx", "custom")
# What a model of each flavor needs installed besides the modules its files name (when installed here).
FLAVOR_DISTRIBUTIONS = {"sklearn": ("scikit-learn",), "pytorch": ("torch",), "onnx": ("onnx", "onnxruntime")}


class LoggedModel:
    """What ``log_model`` returns: where the model is, as a ``runs:/<run-id>/<name>`` URI."""

    def __init__(self, run_id: str, name: str, flavor: str, model_uuid: str) -> None:
        self.run_id = run_id
        self.artifact_path = name
        self.flavor = flavor
        self.model_uuid = model_uuid
        self.uri = "runs:/%s/%s" % (run_id, name)

    def __repr__(self) -> str:
        return "LoggedModel(%r, flavor=%r)" % (self.uri, self.flavor)


def _scalar(value: Any) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML, so JSON quoting is used throughout."""
    return json.dumps(value, ensure_ascii=False)


def manifest(
    name: str,
    flavor: str,
    run_id: str,
    model_uuid: str,
    data: str,
    signature: Optional[Dict[str, Any]],
    version: str,
    flavor_conf: Optional[Dict[str, str]] = None,
) -> str:
    """The ``MLmodel`` text: artifact_path, flavors, model_uuid, run_id, signature, utc_time_created.
    ``flavor_conf`` adds fields to the flavor (``sklearn_version``, ``model_class``, ...)."""
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    lines: List[str] = [
        "artifact_path: %s" % _scalar(name),
        "flavors:",
        "  %s:" % flavor,
        "    data: %s" % _scalar(data),
        "    runlog_version: %s" % _scalar(version),
    ]
    for key in sorted(flavor_conf or {}):
        lines.append("    %s: %s" % (key, _scalar(flavor_conf[key])))  # type: ignore[index]
    lines += [
        "model_uuid: %s" % _scalar(model_uuid),
        "run_id: %s" % _scalar(run_id),
    ]
    if signature:
        lines.append("signature:")
        for key in sorted(signature):
            value = signature[key]
            # MLflow keeps each part of a signature as a JSON string.
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            lines.append("  %s: %s" % (key, _scalar(text)))
    lines.append("utc_time_created: %s" % _scalar(created))
    return "\n".join(lines) + "\n"


def new_uuid() -> str:
    return uuid.uuid4().hex


def check(name: str, flavor: str, source: str) -> None:
    """Refuses what would make a broken model, before anything is copied."""
    if flavor not in FLAVORS:
        raise ValueError("runlog.log_model: flavor must be one of %s, not %r" % (", ".join(FLAVORS), flavor))
    check_name(name)
    if not os.path.exists(source):
        raise FileNotFoundError("runlog: no file or folder %r to log as a model" % source)


def check_name(name: str) -> None:
    """Refuses a model name that is not a relative folder inside the run's artifacts."""
    if not isinstance(name, str) or not name or name.startswith("/") or ".." in name.split("/"):
        raise ValueError("runlog.log_model: name must be a relative folder name, not %r" % (name,))


def fresh_folder(run_dir: str, name: str) -> str:
    """The empty folder ``artifacts/<name>/`` of a run, for a model written in place (a model of
    that name logged before is replaced, so no file of it is left to fail the load-time check)."""
    import shutil

    check_name(name)
    folder = os.path.join(run_dir, "artifacts", *name.split("/"))
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    return folder


def unique_name(run_dir: str, name: str) -> str:
    """``name``, or ``name_2``, ``name_3``, … when the run already has a model folder of that name."""
    base = os.path.join(run_dir, "artifacts")
    candidate, number = name, 1
    while os.path.exists(os.path.join(base, *candidate.split("/"))):
        number += 1
        candidate = "%s_%d" % (name, number)
    return candidate
