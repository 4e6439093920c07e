"""The errors Runlog raises for what goes wrong in the store (not for programming errors)."""

import functools
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class StoreError(RuntimeError):
    """The store could not be read or written (disk full, read-only, permissions): raised by the
    calls whose result the caller needs (``register_model``, ``set_alias``, ``load_model``, ...) and
    by ``flush(raise_errors=True)``. Logging calls never raise it: they warn and keep the events."""


def raises_store_error(what: str) -> Callable[[F], F]:
    """Turns an OSError escaping ``what`` into a StoreError that says which call failed and why."""

    def wrap(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except OSError as exc:
                where = " (%s)" % exc.filename if getattr(exc, "filename", None) else ""
                raise StoreError("runlog.%s: the store could not be read or written%s: %s"
                                 % (what, where, exc.strerror or exc)) from None

        return wrapper  # type: ignore[return-value]

    return wrap
