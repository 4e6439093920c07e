"""Runlog's Python client: log runs, parameters and metrics into a Runlog store.

Standard library only, Python 3.8+. The fluent API mirrors MLflow's::

    import runlog

    with runlog.start_run(params={"lr": 0.01}) as run:
        for step in range(100):
            runlog.log_metric("loss", train_one_epoch(), step=step)
            runlog.log_image(sample_predictions(), key="val/samples", step=step)
        runlog.log_artifact("model.pt")

Each run is a folder ``<store>/runs/<run-id>/`` holding an append-only journal, ``events.jsonl``
(docs/JOURNAL.md). Launched by the editor (``RUNLOG_RUN_ID`` and ``RUNLOG_DIR`` set), the first
top-level run joins the editor's run instead of starting one. See python/README.md.
"""

from . import pytorch, sklearn
from ._autolog import autolog
from ._api import (
    active_run,
    end_run,
    flush,
    log_artifact,
    log_dict,
    log_figure,
    log_image,
    log_input,
    log_metric,
    log_metrics,
    log_model,
    log_param,
    log_params,
    log_table,
    log_text,
    set_note,
    set_tag,
    set_tags,
    start_run,
)
from ._errors import StoreError
from ._filter import FilterError
from ._loading import ModelIntegrityError, ModelLoadError, load_model
from ._model import LoggedModel
from ._registry import (
    AliasMovedError,
    ModelNotFoundError,
    ModelVersion,
    delete_alias,
    delete_model_version,
    get_model_version,
    get_model_version_by_alias,
    register_model,
    resolve_model_uri,
    set_alias,
)
from ._run import Run
from ._run_record import RunRecord, get_run
from ._search import search_runs
from ._system_metrics import disable_system_metrics_logging, enable_system_metrics_logging
from ._version import __version__


__all__ = [
    "AliasMovedError",
    "FilterError",
    "LoggedModel",
    "ModelIntegrityError",
    "ModelLoadError",
    "ModelNotFoundError",
    "ModelVersion",
    "Run",
    "RunRecord",
    "StoreError",
    "active_run",
    "autolog",
    "delete_alias",
    "delete_model_version",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "end_run",
    "flush",
    "get_model_version",
    "get_model_version_by_alias",
    "get_run",
    "log_artifact",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "load_model",
    "register_model",
    "resolve_model_uri",
    "search_runs",
    "set_alias",
    "set_note",
    "set_tag",
    "set_tags",
    "start_run",
]
