"""Reading a finished (or running) run back from its journal: ``runlog.get_run``."""

import json
import os
from typing import Any, Dict, Optional

from . import _registry, _store
from ._errors import raises_store_error


class RunRecord:
    """What a run's journal says: ``name``, ``experiment``, ``status``, ``params``, ``tags`` and
    ``metrics`` (each key's last logged value)."""

    def __init__(self, run_id: str) -> None:
        self.id = run_id
        self.name = run_id
        self.experiment = "Default"
        self.status = "RUNNING"
        self.params: Dict[str, str] = {}
        self.tags: Dict[str, str] = {}
        self.metrics: Dict[str, float] = {}

    def __repr__(self) -> str:
        return "RunRecord(%r, name=%r, status=%r)" % (self.id, self.name, self.status)


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return float(value) if value in ("NaN", "Infinity", "-Infinity") else None


def _apply(record: RunRecord, event: Dict[str, Any]) -> None:
    t = event.get("t")
    if t == "metric" and isinstance(event.get("key"), str):
        value = _number(event.get("value"))
        if value is not None:
            record.metrics[event["key"]] = value
    elif t == "param" and isinstance(event.get("key"), str) and isinstance(event.get("value"), str):
        record.params.setdefault(event["key"], event["value"])  # params are write-once
    elif t == "tag" and isinstance(event.get("key"), str) and isinstance(event.get("value"), str):
        record.tags[event["key"]] = event["value"]
        if event["key"] == "runlog.name" and event["value"]:
            record.name = event["value"]
        if event["key"] == "runlog.experiment" and event["value"]:
            record.experiment = event["value"]
    elif t == "run_start":
        record.name = str(event.get("name") or record.name)
        record.experiment = str(event.get("experiment") or record.experiment)
    elif t in ("run_end", "status") and isinstance(event.get("status"), str):
        if record.status not in ("FINISHED", "FAILED", "KILLED") or t == "run_end":
            record.status = event["status"]


@raises_store_error("get_run")
def get_run(run_id: str, store: Optional[str] = None) -> RunRecord:
    """The run ``run_id`` of the store, read from its journal; raises LookupError if there is none."""
    if not isinstance(run_id, str) or not _store.is_valid_run_id(run_id):
        raise ValueError("runlog.get_run: not a run id: %r" % (run_id,))
    path = os.path.join(_registry.store_for(store), "runs", run_id, "events.jsonl")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise LookupError("runlog.get_run: no run %s in the store" % run_id) from None
    record = RunRecord(run_id)
    for line in data.split(b"\n")[:-1]:
        try:
            event = json.loads(line.decode("utf-8", "replace"))
        except ValueError:
            continue
        if isinstance(event, dict):
            _apply(record, event)
    return record
