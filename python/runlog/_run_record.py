"""Reading a finished (or running) run back from its journal: ``runlog.get_run``, and the records
``runlog.search_runs`` returns. The journal is read by the store's rules (``_search.read_run``)."""

import os
from typing import Any, Dict, Optional

from . import _registry, _store
from ._errors import raises_store_error


class RunRecord:
    """What a run's journal says: ``id``, ``name``, ``experiment``, ``status``, ``params``, ``tags``,
    ``metrics`` (each key's value at its highest step, NaN included), ``start_time`` and ``end_time``
    (milliseconds since the epoch; ``end_time`` None while it runs), ``deleted`` (in the editor's
    trash), ``user``, ``source``, ``parent_run_id`` and ``git`` (``commit``, ``branch``, ``dirty``)."""

    def __init__(self, run_id: str) -> None:
        self.id = run_id
        self.name = run_id
        self.experiment = "Default"
        self.status = "RUNNING"
        self.params: Dict[str, str] = {}
        self.tags: Dict[str, str] = {}
        self.metrics: Dict[str, float] = {}
        self.start_time: Optional[int] = None
        self.end_time: Optional[int] = None
        self.deleted = False
        self.user: Optional[str] = None
        self.source: Optional[str] = None
        self.parent_run_id: Optional[str] = None
        self.git: Optional[Dict[str, Any]] = None

    def __repr__(self) -> str:
        return "RunRecord(%r, name=%r, status=%r)" % (self.id, self.name, self.status)


@raises_store_error("get_run")
def get_run(run_id: str, store: Optional[str] = None) -> RunRecord:
    """The run ``run_id`` of the store, read from its journal; raises LookupError if there is none."""
    from ._search import read_run, to_record  # _search builds RunRecords: imported here, not at the top

    if not isinstance(run_id, str) or not _store.is_valid_run_id(run_id):
        raise ValueError("runlog.get_run: not a run id: %r" % (run_id,))
    path = os.path.join(_registry.store_for(store), "runs", run_id, "events.jsonl")
    try:
        run = read_run(path, run_id)
    except FileNotFoundError:
        raise LookupError("runlog.get_run: no run %s in the store" % run_id) from None
    return to_record(run) if run is not None else RunRecord(run_id)
