"""scikit-learn models in a run: ``runlog.sklearn.log_model`` (what ``runlog.autolog()`` uses).

Importing this module does not import scikit-learn; ``log_model`` needs it.
"""

import hashlib
import os
import pickle
from typing import Any, Dict, Optional

from . import _api, _model
from ._model import LoggedModel

FLAVOR = "sklearn"
MODEL_FILE = "model.pkl"


def log_model(
    sk_model: Any,
    name: str = "model",
    signature: Optional[Dict[str, Any]] = None,
    input_example: Any = None,
) -> LoggedModel:
    """Pickles a scikit-learn model into the active run as ``artifacts/<name>/model.pkl`` with an
    ``MLmodel`` manifest (flavor ``sklearn``, as MLflow writes it), ``requirements.txt`` and
    ``python_env.yaml``; returns an object whose ``uri`` (``runs:/<run-id>/<name>``) ``load_model``
    loads back. A model logged under the same name before in this run is replaced."""
    return log_to(_api._current(), sk_model, name, signature, input_example)


def log_to(run: Any, sk_model: Any, name: str, signature: Optional[Dict[str, Any]], input_example: Any) -> LoggedModel:
    import sklearn

    folder = _model.fresh_folder(run.dir, name)
    with open(os.path.join(folder, MODEL_FILE), "wb") as handle:
        writer = _HashingWriter(handle)
        pickle.dump(sk_model, writer, protocol=pickle.DEFAULT_PROTOCOL)
    conf = {"pickled_model": MODEL_FILE, "serialization_format": "pickle", "sklearn_version": sklearn.__version__}
    digests = {MODEL_FILE: (writer.size, writer.digest.hexdigest())}
    return run._log_model_folder(name, FLAVOR, MODEL_FILE, signature, input_example, set(), conf, digests)


class _HashingWriter:
    """A file that hashes what goes through it, so a model is not read back to be hashed."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: Any) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.handle.write(data)
