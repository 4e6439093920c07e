"""What every autolog integration shares: the settings, reporting a failure once, the run to log
into, reversible patches, and hooks that run when a module finishes importing.

Autologging never breaks training. Each patch calls the user's function exactly once, with the
same arguments, and returns (or raises) exactly what it did; what autolog adds around it runs
inside ``try``, and a failure there is said once on stderr (unless ``silent``) and dropped.
"""

import functools
import sys
import threading
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from .. import _api
from .._journal import warn


class Settings:
    """``runlog.autolog``'s arguments, as the integrations read them."""

    enabled = False
    log_models = True
    log_datasets = True
    log_input_examples = False
    exclusive = False
    silent = False


settings = Settings()
_reported: Set[Tuple[str, str]] = set()


def report(integration: str, what: str, exc: BaseException) -> None:
    """Says once per (integration, what) that autologging something failed; training goes on."""
    key = (integration, what)
    if settings.silent or key in _reported:
        return
    _reported.add(key)
    warn(
        "autolog (%s) could not %s: %s: %s; training goes on without it (said once)"
        % (integration, what, type(exc).__name__, exc)
    )


# --- the run autologging logs into -----------------------------------------------------------------


def current_run(create: bool = True) -> Tuple[Any, bool]:
    """The run to log into and whether autolog started it (and so must end it): the active run;
    under ``exclusive``, none if the active run is the user's; with no active run a new one
    (``create``), which joins the editor's run when the editor launched this process — that one
    autolog never ends (the editor does, at exit)."""
    run = _api.active_run()
    if run is not None:
        if settings.exclusive and not getattr(run, "_autolog_owned", False):
            return None, False
        return run, False
    if not create:
        return None, False
    run = _api.start_run()
    run._autolog_owned = True
    return run, not run.joined


# --- reversible patches ----------------------------------------------------------------------------


class Patch:
    """One attribute replaced by a wrapper; ``undo`` puts the original back if the wrapper is still
    there (a library that wrapped our wrapper keeps it: it then passes calls straight through)."""

    def __init__(self, owner: Any, name: str, original: Any, wrapper: Any) -> None:
        self.owner, self.name, self.original, self.wrapper = owner, name, original, wrapper

    def undo(self) -> None:
        try:
            current = self.owner.__dict__.get(self.name) if isinstance(self.owner, type) else getattr(self.owner, self.name, None)
            if current is self.wrapper:
                setattr(self.owner, self.name, self.original)
        except Exception:  # noqa: BLE001 - undoing is best effort
            pass


_patches: Dict[str, List[Patch]] = {}
_patched: Set[Tuple[int, str]] = set()


def patch(integration: str, owner: Any, name: str, make_wrapper: Callable[[Any], Any]) -> bool:
    """Replaces ``owner.name`` by ``make_wrapper(original)`` once; returns False if already done."""
    key = (id(owner), name)
    if key in _patched:
        return False
    original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    wrapper = make_wrapper(original)
    setattr(owner, name, wrapper)
    _patched.add(key)
    _patches.setdefault(integration, []).append(Patch(owner, name, original, wrapper))
    return True


class _SubclassHook(Patch):
    """``base.__init_subclass__`` replaced so that each class defined later gets patched."""

    def undo(self) -> None:
        if self.owner.__dict__.get(self.name) is not self.wrapper:
            return
        if self.original is None:
            delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self.original)


def patch_subclasses(integration: str, base: type, patch_class: Callable[[type], None]) -> None:
    """Calls ``patch_class`` on every subclass of ``base`` defined so far and, through
    ``base.__init_subclass__`` (chained to any it had), on each one defined from now on."""
    key = (id(base), "__init_subclass__")
    if key not in _patched:
        original = base.__dict__.get("__init_subclass__")
        chained = original.__func__ if isinstance(original, classmethod) else None

        def __init_subclass__(cls: type, **kwargs: Any) -> None:  # noqa: N807 - the hook's own name
            if chained is not None:
                chained(cls, **kwargs)
            else:
                super(base, cls).__init_subclass__(**kwargs)
            try:
                patch_class(cls)
            except Exception as exc:  # noqa: BLE001 - defining a class must never fail because of autolog
                report(integration, "patch %s" % cls.__name__, exc)

        wrapper = classmethod(__init_subclass__)
        setattr(base, "__init_subclass__", wrapper)
        _patched.add(key)
        _patches.setdefault(integration, []).append(_SubclassHook(base, "__init_subclass__", original, wrapper))
    queue, seen = list(base.__subclasses__()), set()
    while queue:
        cls = queue.pop()
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        patch_class(cls)
        queue.extend(cls.__subclasses__())


def unpatch(integration: str) -> None:
    for item in reversed(_patches.pop(integration, [])):
        item.undo()
        _patched.discard((id(item.owner), item.name))


def wraps(original: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """functools.wraps that also marks the wrapper as Runlog's."""

    def decorate(wrapper: Callable[..., Any]) -> Callable[..., Any]:
        wrapped = functools.wraps(original)(wrapper)
        wrapped._runlog_autolog = True  # type: ignore[attr-defined]
        return wrapped

    return decorate


# --- post-import hooks ------------------------------------------------------------------------------

_callbacks: Dict[str, List[Callable[[ModuleType], None]]] = {}
_busy: Set[str] = set()
_hook_lock = threading.RLock()


class _PostImportFinder:
    """A meta path finder that finds nothing itself: for the module names autolog waits for, it asks
    the other finders and makes the found loader call back once the module has executed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in _callbacks or name in _busy:
            return None
        _busy.add(name)
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
        finally:
            _busy.discard(name)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            if getattr(module, "__name__", None) != name:
                return  # a loader shared by several modules (zipimport): not ours to announce
            try:
                del loader.exec_module  # the loader instance goes back to its class's method
            except AttributeError:
                pass
            _run_callbacks(name, module)

        try:
            loader.exec_module = exec_module  # on this loader instance only; its type is unchanged
        except (AttributeError, TypeError):
            pass  # a loader that takes no attributes: the hook will not fire for this import
        return spec

    def invalidate_caches(self) -> None:
        pass


_finder = _PostImportFinder()


def _run_callbacks(name: str, module: ModuleType) -> None:
    with _hook_lock:
        callbacks = list(_callbacks.get(name, []))
    for callback in callbacks:
        try:
            callback(module)
        except Exception as exc:  # noqa: BLE001 - an import must never fail because of autolog
            report(name.split(".")[0], "set up autologging for %s" % name, exc)


def when_imported(name: str, callback: Callable[[ModuleType], None]) -> None:
    """Calls ``callback(module)`` now if ``name`` is imported, else when it has been."""
    with _hook_lock:
        if callback not in _callbacks.setdefault(name, []):
            _callbacks[name].append(callback)
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
    module = sys.modules.get(name)
    if module is not None and _fully_imported(module):
        _run_callbacks(name, module)


def _fully_imported(module: ModuleType) -> bool:
    spec = getattr(module, "__spec__", None)
    return not getattr(spec, "_initializing", False)


def remove_import_hooks() -> None:
    with _hook_lock:
        _callbacks.clear()
        while _finder in sys.meta_path:
            sys.meta_path.remove(_finder)


def caller_variable(value: Any, frame: Any, fallback: str) -> str:
    """The name a variable of the calling code gives ``value`` (MLflow names datasets this way)."""
    try:
        for scope in (frame.f_locals, frame.f_globals):
            for name, candidate in scope.items():
                if candidate is value and not name.startswith("_"):
                    return name
    except Exception:  # noqa: BLE001
        pass
    return fallback
