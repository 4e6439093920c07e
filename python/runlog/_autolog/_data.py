"""In-memory training data as autolog records it: shape, columns and a digest of its content; the
model signature and input example MLflow infers from it.

Digests hash the data's values: a numpy array's bytes (with dtype and shape), a dataframe's
``pandas.util.hash_pandas_object`` row hashes (with column names and dtypes). Data over
``FULL_DIGEST_BYTES`` is hashed through an evenly spaced sample of its rows, so the digest costs a
bounded time whatever the size (the digest then says so: ``sampled-<hex>``).
"""

import hashlib
import json
from typing import Any, Dict, List, Optional

FULL_DIGEST_BYTES = 64 << 20
INPUT_EXAMPLE_ROWS = 5

# numpy/pandas dtypes as MLflow's column types
_COLUMN_TYPES = {
    "b": "boolean", "i": "long", "u": "long", "f": "double", "O": "string", "U": "string", "S": "binary",
    "M": "datetime",
}


def _modules() -> Any:
    """numpy, and pandas if the program imported it (data cannot be a dataframe otherwise; importing
    pandas just to check would cost a fit a fifth of a second)."""
    import sys

    import numpy

    return numpy, sys.modules.get("pandas")


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "columns") and hasattr(value, "dtypes")


def _is_series(value: Any) -> bool:
    return type(value).__name__ == "Series" and hasattr(value, "dtype") and hasattr(value, "index")


def shape_of(value: Any) -> Optional[List[int]]:
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return list(shape)
    try:
        return [len(value)]
    except TypeError:
        return None


def _hash_part(digest: Any, value: Any, numpy: Any, pandas: Any) -> bool:
    """Feeds one array-like into ``digest``; returns True if only a sample of rows was hashed."""
    sampled = False
    if value is None:
        digest.update(b"none")
        return False
    if pandas is not None and (_is_dataframe(value) or _is_series(value)):
        rows = len(value)
        size = int(value.memory_usage(deep=False).sum()) if _is_dataframe(value) else int(value.memory_usage())
        if size > FULL_DIGEST_BYTES and rows > 1:
            step = -(-size // FULL_DIGEST_BYTES)
            value = value.iloc[::step]
            sampled = True
        if _is_dataframe(value):
            digest.update(json.dumps([str(c) for c in value.columns]).encode("utf-8"))
            digest.update(json.dumps([str(t) for t in value.dtypes]).encode("utf-8"))
        else:
            digest.update(str(value.dtype).encode("utf-8"))
        digest.update(pandas.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        return sampled
    if hasattr(value, "tocsr") and hasattr(value, "nnz"):  # scipy.sparse
        matrix = value.tocsr()
        for part in (matrix.data, matrix.indices, matrix.indptr):
            _hash_part(digest, part, numpy, pandas)
        digest.update(repr(matrix.shape).encode("ascii"))
        return False
    array = value if isinstance(value, numpy.ndarray) else numpy.asarray(value)
    digest.update(("%s%r" % (array.dtype.str, array.shape)).encode("ascii"))
    if array.dtype.kind == "O":
        import pickle

        digest.update(pickle.dumps(array.tolist(), protocol=4))
        return False
    if array.nbytes > FULL_DIGEST_BYTES and array.ndim > 0 and array.shape[0] > 1:
        step = -(-array.nbytes // FULL_DIGEST_BYTES)
        array = array[::step]
        sampled = True
    digest.update(numpy.ascontiguousarray(array).data)
    return sampled


def describe(X: Any, y: Any = None) -> Dict[str, Any]:
    """``shape``, ``columns`` (a dataframe's) and ``digest`` of training data (features and target)."""
    numpy, pandas = _modules()
    digest = hashlib.sha256()
    sampled = _hash_part(digest, X, numpy, pandas)
    sampled = _hash_part(digest, y, numpy, pandas) or sampled
    found: Dict[str, Any] = {"digest": ("sampled-" if sampled else "") + digest.hexdigest()}
    shape = shape_of(X)
    if shape is not None:
        found["shape"] = shape
    if _is_dataframe(X):
        found["columns"] = [str(c) for c in X.columns]
    return found


def head(X: Any, rows: int = INPUT_EXAMPLE_ROWS) -> Any:
    """The first rows of X, of the same kind."""
    if _is_dataframe(X) or _is_series(X):
        return X.iloc[:rows]
    try:
        return X[:rows]
    except Exception:  # noqa: BLE001
        return None


def _tensor_spec(value: Any) -> Optional[Dict[str, Any]]:
    numpy, _ = _modules()
    array = numpy.asarray(value)
    if array.dtype.kind == "O":
        return None
    return {"type": "tensor", "tensor-spec": {"dtype": str(array.dtype), "shape": [-1] + list(array.shape[1:])}}


def schema(value: Any) -> Optional[List[Dict[str, Any]]]:
    """MLflow's schema of data: named columns for a dataframe or series, else a tensor spec."""
    if _is_dataframe(value):
        return [{"name": str(c), "type": _COLUMN_TYPES.get(value.dtypes[c].kind, "string")} for c in value.columns]
    if _is_series(value):
        column: Dict[str, Any] = {"type": _COLUMN_TYPES.get(value.dtype.kind, "string")}
        if value.name is not None:
            column["name"] = str(value.name)
        return [column]
    spec = _tensor_spec(value)
    return [spec] if spec else None


def signature(X_head: Any, predict: Any) -> Optional[Dict[str, Any]]:
    """``{"inputs": [...], "outputs": [...]}`` from the first rows and the model's prediction of them."""
    inputs = schema(X_head)
    if inputs is None:
        return None
    found: Dict[str, Any] = {"inputs": inputs}
    if predict is not None:
        outputs = schema(predict(X_head))
        if outputs is not None:
            found["outputs"] = outputs
    return found


def input_example(X_head: Any) -> Any:
    """The first rows as JSON-ready data: a dataframe as MLflow's ``{"columns", "data"}``."""
    if _is_dataframe(X_head):
        return json.loads(X_head.to_json(orient="split", index=False, date_format="iso"))
    tolist = getattr(X_head, "tolist", None)
    return {"inputs": tolist() if callable(tolist) else list(X_head)}
