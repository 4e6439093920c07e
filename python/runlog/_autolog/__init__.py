"""``runlog.autolog()``: log what scikit-learn and PyTorch training does without logging calls.

Each integration activates only when its library is importable: autolog patches the libraries
already imported and installs an import hook that patches the others when (if ever) they are
imported. ``runlog.autolog(disable=True)`` undoes the patches and removes the hook. See
``_sklearn.py`` and ``_torch.py`` for what each logs, and python/README.md.
"""

from . import _core, _sklearn, _torch

_INTEGRATIONS = (_sklearn, _torch)


def autolog(
    log_models: bool = True,
    log_datasets: bool = True,
    log_input_examples: bool = False,
    disable: bool = False,
    exclusive: bool = False,
    silent: bool = False,
) -> None:
    """Turns on automatic logging for scikit-learn and PyTorch (MLflow's ``mlflow.autolog`` names).

    ``log_models``: log fitted scikit-learn models (``runlog.sklearn.log_model``).
    ``log_datasets``: record the training data as an input (shape, columns, digest).
    ``log_input_examples``: save the first rows of the training data with the model.
    ``disable``: undo everything ``autolog`` did.
    ``exclusive``: log nothing into runs the user started (only into runs autolog starts).
    ``silent``: say nothing on stderr when autologging something fails (training never does).
    """
    settings = _core.settings
    settings.log_models = bool(log_models)
    settings.log_datasets = bool(log_datasets)
    settings.log_input_examples = bool(log_input_examples)
    settings.exclusive = bool(exclusive)
    settings.silent = bool(silent)
    if disable:
        settings.enabled = False
        _core.remove_import_hooks()
        for integration in _INTEGRATIONS:
            try:
                integration.disable()
            except Exception as exc:  # noqa: BLE001 - disabling must not fail the caller
                _core.report(integration.NAME, "undo its patches", exc)
        return
    settings.enabled = True
    for integration in _INTEGRATIONS:
        try:
            integration.enable()
        except Exception as exc:  # noqa: BLE001 - autolog must never stop the program
            _core.report(integration.NAME, "start", exc)
