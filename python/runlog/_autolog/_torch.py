"""PyTorch autologging: what every ``torch.optim`` optimizer's ``step()`` says about training.

At an optimizer's first ``step()`` (into the active run, or one started then that ends at exit):
params ``optimizer_name``, ``optimizer_<hyperparameter>`` for its scalar defaults (``lr``,
``momentum``, ``weight_decay``, ``betas`` …), ``optimizer_param_groups``, and of the parameters it
trains, ``parameter_count`` and ``device``. Then per ``step()``: the learning rate each param
group used, as ``lr`` (one group) or ``lr_group_<i>``, and ``optimizer_steps`` (the steps so far),
at the step's index — at most one point per key per 100 ms of wall time, and always the last one
(written when the run ends). A second optimizer in the same run prefixes its keys with
``optimizer_1_`` (``optimizer_1_lr``, ``optimizer_1_parameter_count``, …).

``runlog.pytorch.log_model`` relogs, when a run ends, a model it logged in that run if an optimizer
stepped since (``total_steps``), so a model logged before training is kept trained.

Optimizer classes are patched where ``step`` is defined, for those defined so far and every one
defined later (``Optimizer.__init_subclass__``).
"""

import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional

from . import _core

NAME = "pytorch"
THROTTLE_SECONDS = 0.1
_SCALARS = (int, float, bool, str)

_states: "weakref.WeakKeyDictionary[Any, _OptimizerState]" = weakref.WeakKeyDictionary()
_optimizers_per_run: "weakref.WeakKeyDictionary[Any, int]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()
# Optimizer steps taken while autolog was on (runlog.pytorch.log_model relogs a model that trained since).
total_steps = 0


class _OptimizerState:
    """What one optimizer logs into one run."""

    def __init__(self, run: Any, prefix: str, groups: int) -> None:
        self.run = run
        self.prefix = prefix
        self.steps = 0
        self.logged_at = -1.0
        self.pending: Optional[List[float]] = None
        if groups == 1:
            self.keys = [prefix + "lr"]
        else:
            self.keys = ["%slr_group_%d" % (prefix, i) for i in range(groups)]
        self.steps_key = prefix + ("steps" if prefix else "optimizer_steps")
        run._end_hooks.append(self.flush)

    def step(self, lrs: List[float]) -> None:
        index = self.steps
        self.steps += 1
        now = time.monotonic()
        if now - self.logged_at >= THROTTLE_SECONDS:
            self.logged_at = now
            self.pending = None
            self._log(index, lrs)
        else:
            self.pending = lrs

    def _log(self, index: int, lrs: List[float]) -> None:
        run = self.run
        ts = None
        for key, value in zip(self.keys, lrs):
            run.log_metric(key, value, step=index, timestamp=ts)
        run.log_metric(self.steps_key, self.steps, step=index)

    def flush(self) -> None:
        """The last step's point, if the throttle held it back (the run is ending)."""
        if self.pending is not None:
            lrs, self.pending = self.pending, None
            try:
                self._log(self.steps - 1, lrs)
            except Exception as exc:  # noqa: BLE001
                _core.report(NAME, "log the last learning rate", exc)


def _begin(optimizer: Any) -> Optional[_OptimizerState]:
    run, _ = _core.current_run()
    if run is None:
        return None
    with _lock:
        index = _optimizers_per_run.get(run, 0)
        _optimizers_per_run[run] = index + 1
    prefix = "" if index == 0 else "optimizer_%d_" % index
    groups = optimizer.param_groups
    state = _OptimizerState(run, prefix, len(groups))
    try:
        _log_params(run, optimizer, prefix)
    except Exception as exc:  # noqa: BLE001
        _core.report(NAME, "log the optimizer's params", exc)
    return state


def _log_params(run: Any, optimizer: Any, prefix: str) -> None:
    name = prefix + "name" if prefix else "optimizer_name"
    params: Dict[str, Any] = {name: type(optimizer).__name__}
    option = (prefix or "optimizer_")
    for key, value in sorted(getattr(optimizer, "defaults", {}).items()):
        if key == "params":
            continue
        if isinstance(value, _SCALARS) or (isinstance(value, tuple) and all(isinstance(v, _SCALARS) for v in value)):
            params[option + key] = value
    params[option + "param_groups"] = len(optimizer.param_groups)
    seen = set()
    count = 0
    device = None
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            if id(parameter) in seen:
                continue
            seen.add(id(parameter))
            count += parameter.numel()
            if device is None:
                device = str(parameter.device)
    params[prefix + "parameter_count"] = count
    if device is not None:
        params[prefix + "device"] = device
    existing = run.params
    fresh = {key: str(value) for key, value in params.items() if key not in existing}
    if fresh:
        run.log_params(fresh)


def _step_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    @_core.wraps(original)
    def step(self: Any, *args: Any, **kwargs: Any) -> Any:
        global total_steps
        if not _core.settings.enabled:
            return original(self, *args, **kwargs)
        try:
            lrs = [float(group["lr"]) for group in self.param_groups]
        except Exception:  # noqa: BLE001 - an optimizer without lr: nothing to log
            lrs = None
        result = original(self, *args, **kwargs)
        total_steps += 1
        if lrs is not None:
            try:
                state = _states.get(self)
                if state is None or state.run._ended:
                    state = _begin(self)
                    if state is None:
                        return result
                    _states[self] = state
                state.step(lrs)
            except Exception as exc:  # noqa: BLE001
                _core.report(NAME, "log the optimizer's step", exc)
        return result

    return step


def _patch_class(cls: type) -> None:
    if "step" in cls.__dict__ and callable(cls.__dict__["step"]):
        _core.patch(NAME, cls, "step", _step_wrapper)


def setup(torch: Any) -> None:
    """Called once ``torch`` is imported: patches the optimizers defined so far and later ones."""
    _core.patch_subclasses(NAME, torch.optim.Optimizer, _patch_class)


def enable() -> None:
    _core.when_imported("torch", setup)


def disable() -> None:
    _core.unpatch(NAME)
    for state in list(_states.values()):
        state.flush()
    _states.clear()
