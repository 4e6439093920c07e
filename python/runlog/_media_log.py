"""A run's media: ``log_image``, ``log_figure``, ``log_table``, ``log_dict`` and ``log_text``.

Each writes files into the run's ``artifacts/`` (under a temporary name, then renamed into place,
so a reader never sees half a file) and records each as an ``artifact`` event with its size and
SHA-256, as ``log_artifact`` does. Bad input raises ``ValueError`` or ``TypeError`` before anything
is written; a store that cannot be written (full, read-only) is reported on stderr and the file is
not recorded: these calls never raise into the training because of I/O.
"""

import hashlib
import itertools
import json
import os
import threading
import uuid
from typing import Any, Dict, List, Optional

from . import _media, _table, _yaml
from ._journal import now_ms, warn

# JavaScript reads steps and times as doubles: larger integers would not survive the trip.
_MAX_SAFE_INTEGER = 2 ** 53 - 1


def _whole_number(value: Any, what: str, low: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        number = value.__index__()
    except (AttributeError, TypeError):
        raise TypeError("runlog.log_image: %s must be an integer, not %r" % (what, value)) from None
    if isinstance(value, bool) or not low <= number <= _MAX_SAFE_INTEGER:
        raise ValueError("runlog.log_image: %s must be an integer in [%d, 2**53 - 1], not %r" % (what, low, value))
    return number


class MediaLogging:
    """The media methods of ``Run`` (``_run.py``), which provides ``dir``, ``id``, ``joined``,
    ``_ended``, ``_ended_error``, ``_write``, ``_journal`` and ``set_tag``."""

    dir: str
    id: str
    name: str
    joined: bool
    _ended: bool

    def _init_media(self) -> None:
        self._media_lock = threading.Lock()
        self._image_steps: Dict[str, Any] = {}  # key -> itertools.count of its next automatic step
        self._images_tagged = False
        self._logged_tables: Optional[List[Dict[str, str]]] = None  # mlflow.loggedArtifacts, once read
        self._media_failing: Optional[str] = None
        self._preview_warned = False
        self._tag_warned = False

    # --- writing files ---

    def _store_file(self, relative: str, data: bytes) -> bool:
        """Writes ``artifacts/<relative>`` (replacing it) and records its ``artifact`` event; on an
        I/O failure says so on stderr (once until writing works again) and returns False."""
        target = os.path.join(self.dir, "artifacts", *relative.split("/"))
        folder = os.path.dirname(target)
        temporary = os.path.join(folder, ".%s.%s.tmp" % (os.path.basename(target)[:100], uuid.uuid4().hex[:12]))
        try:
            os.makedirs(folder, exist_ok=True)
            with open(temporary, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)
        except OSError as exc:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            self._media_failed(relative, exc)
            return False
        if self._media_failing is not None:
            self._media_failing = None
            warn("writing the media files of run %s (%s) works again" % (self.name, self.id))
        self._write("artifact", {"path": relative, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})  # type: ignore[attr-defined]
        return True

    def _media_failed(self, relative: str, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        if self._media_failing is None:
            warn("could not write %s into run %s (%s): %s; it is not recorded (further failures of this run's "
                 "media files are not reported until one is written)" % (relative, self.name, self.id, reason))
        self._media_failing = reason

    def _check_open(self) -> None:
        if self._ended:
            raise self._ended_error()  # type: ignore[attr-defined]

    # --- images ---

    def _image_step(self, key: str, step: Optional[int]) -> int:
        """``step`` (already checked), or the key's previous step + 1 (0 first); the key's next
        automatic step follows it."""
        with self._media_lock:
            if step is None:
                counter = self._image_steps.get(key)
                if counter is None:
                    counter = self._image_steps[key] = itertools.count()
                return next(counter)
            self._image_steps[key] = itertools.count(step + 1)
            return step

    def log_image(
        self,
        image: Any,
        *,
        key: Optional[str] = None,
        step: Optional[int] = None,
        artifact_file: Optional[str] = None,
        timestamp: Optional[int] = None,
    ) -> None:
        """Logs an image: a PIL image, a numpy array (H x W, H x W x 1/3/4; booleans, integers in
        [0, 255] or floats in [0, 1]) or nested lists of such pixels, a matplotlib figure, PNG or
        JPEG bytes, or the path of an image file. The other arguments are keyword-only: MLflow's
        second positional argument is ``artifact_file``, so ``log_image(img, "x.png")`` is a
        ``TypeError`` here rather than a series named ``x.png``.

        With ``key`` it is one step of a series, in MLflow's layout:
        ``images/<key>%step%<step>%timestamp%<ms>%<uuid>.png`` (``/`` in the key as ``#``; JPEG bytes
        keep their bytes, as ``.jpg``) and, when Pillow is importable, MLflow's 256-pixel WebP
        preview beside it (``...%compressed.webp``); the run gets the tag ``mlflow.loggedImages``.
        ``step`` defaults to the key's previous step + 1 (0 first); ``timestamp`` is in
        milliseconds (default: now). With ``artifact_file`` instead, it is a plain artifact in the
        format the file's extension names (``.png``; ``.jpg``; others through Pillow).

        An image over ``MAX_IMAGE_PIXELS`` (8192 x 8192) or, encoded, ``MAX_IMAGE_BYTES`` (50 MB)
        raises ``ValueError``, as does a bad key, shape or value range; an unsupported type raises
        ``TypeError``. A store that cannot be written is reported on stderr, never raised.
        """
        if artifact_file is not None and (key is not None or step is not None or timestamp is not None):
            raise TypeError("runlog.log_image: artifact_file cannot be combined with key, step or timestamp: "
                            "use key (and step) for a series of images, or artifact_file for one file")
        if artifact_file is None and key is None:
            raise TypeError("runlog.log_image: give key (a series of images over steps) or artifact_file (one file)")
        self._check_open()
        if artifact_file is not None:
            path = _media.check_artifact_file(artifact_file, "log_image")
            prepared = self._prepare(image, path)
            if prepared is not None:
                self._store_file(path, prepared.data)
            return
        key = _media.check_key(key)
        ts = now_ms() if timestamp is None else _whole_number(timestamp, "timestamp", 0)
        explicit = None if step is None else _whole_number(step, "step", -_MAX_SAFE_INTEGER)
        prepared = self._prepare(image, None)
        if prepared is None:
            return
        number = self._image_step(key, explicit)  # only now: an image refused takes no step
        stem = _media.image_file_stem(key, number, ts)
        if not self._store_file(stem + _media.extension_for(prepared), prepared.data):
            return
        small = self._preview(prepared, stem)
        if small is not None:
            self._store_file(stem + "%compressed.webp", small)
        if not self._images_tagged:
            self._images_tagged = True
            self.set_tag(_media.LOGGED_IMAGES_TAG, "True")  # type: ignore[attr-defined]

    def _prepare(self, image: Any, artifact_file: Optional[str]) -> Optional["_media.Prepared"]:
        """The image's bytes; None (said on stderr) when its file exists but cannot be read."""
        try:
            return _media.prepare_image(image, artifact_file)
        except FileNotFoundError:
            raise
        except OSError as exc:
            warn("could not read the image %s: %s; it is not logged" % (getattr(exc, "filename", None) or "",
                                                                         exc.strerror or exc))
            return None

    def _preview(self, prepared: "_media.Prepared", stem: str) -> Optional[bytes]:
        try:
            return _media.preview(prepared)
        except Exception as exc:  # noqa: BLE001 - the preview is extra; the image itself is logged
            if not self._preview_warned:
                self._preview_warned = True
                warn("could not make the preview of %s (Pillow: %r); images of run %s are logged without "
                     "previews where this happens" % (stem, exc, self.id))
            return None

    # --- figures, text, dicts ---

    def log_figure(self, figure: Any, artifact_file: str, save_kwargs: Optional[Dict[str, Any]] = None) -> None:
        """Logs a matplotlib figure (``savefig`` in the format of ``artifact_file``'s extension) or a
        plotly figure (``.html`` with plotly.js from its CDN; ``.png``, ``.jpeg``, ``.webp``,
        ``.svg``, ``.pdf`` through plotly's ``write_image``) as an artifact. ``save_kwargs`` go to
        ``savefig``, ``write_html`` or ``write_image``."""
        path = _media.check_artifact_file(artifact_file, "log_figure")
        self._check_open()
        self._store_file(path, _media.figure_bytes(figure, path, save_kwargs))

    def log_text(self, text: str, artifact_file: str) -> None:
        """Logs a string as the artifact ``artifact_file`` (UTF-8)."""
        path = _media.check_artifact_file(artifact_file, "log_text")
        if not isinstance(text, str):
            raise TypeError("runlog.log_text: text must be a str, not %s" % type(text).__name__)
        self._check_open()
        self._store_file(path, text.encode("utf-8"))

    def log_dict(self, dictionary: Any, artifact_file: str) -> None:
        """Logs a dict (or any JSON- or YAML-able value) as ``artifact_file``: YAML for ``.yml`` and
        ``.yaml`` (as PyYAML's ``yaml.dump(indent=2, default_flow_style=False)`` writes it), else JSON
        with an indent of 2 (what JSON cannot hold as its ``str()``), as MLflow's ``log_dict``."""
        path = _media.check_artifact_file(artifact_file, "log_dict")
        if os.path.splitext(path)[1] in (".yml", ".yaml"):
            text = _yaml.dump(dictionary)
        else:
            text = json.dumps(dictionary, indent=2, default=str)
        self._check_open()
        self._store_file(path, text.encode("utf-8"))

    # --- tables ---

    def log_table(self, data: Any, artifact_file: str) -> None:
        """Logs a table, a dict of columns or a pandas DataFrame, as JSON in MLflow's
        ``orient="split"`` form (``{"columns": [...], "data": [[...], ...]}``). A table the run
        already has at ``artifact_file`` gets these rows appended (new columns added, missing cells
        null), as in MLflow. Cells that are PIL images are stored as MLflow stores them
        (``table_images/<table>/<uuid>.png`` and a ``.webp`` preview) and the cell becomes
        ``{"type": "image", "filepath": ..., "compressed_filepath": ...}``. The run's tag
        ``mlflow.loggedArtifacts`` (a JSON list of ``{"path", "type": "table"}``) names the table."""
        if isinstance(artifact_file, str):
            _table.check_artifact_file(artifact_file)
        path = _media.check_artifact_file(artifact_file, "log_table")
        _table.check_artifact_file(path)
        self._check_open()
        images: List[Any] = []

        def image_cell(image: Any) -> Dict[str, str]:
            stem = "table_images/%s/%s" % (os.path.splitext(path)[0], uuid.uuid4())
            prepared = _media.prepare_image(image)
            images.append((stem, prepared))
            return {"type": "image", "filepath": stem + ".png", "compressed_filepath": stem + ".webp"}

        if _table.is_dataframe(data):
            encoded, table = _table.from_dataframe(data, image_cell)
        elif isinstance(data, dict):
            table = _table.from_dict(data, image_cell)
            encoded = _table.encode(table)
        else:
            raise TypeError("runlog.log_table: data must be a dict of columns or a pandas DataFrame, not %s"
                            % type(data).__name__)
        target = os.path.join(self.dir, "artifacts", *path.split("/"))
        if os.path.isdir(target):
            raise ValueError("runlog.log_table: %s is a folder of the run's artifacts; log the table under another "
                             "name" % path)
        if os.path.exists(target):
            try:
                with open(target, "rb") as handle:
                    existing = handle.read()
            except OSError as exc:
                # Writing without the old rows would lose them: better not to log these.
                warn("could not read %s of run %s to append to it: %s; these rows are not logged"
                     % (path, self.id, exc.strerror or exc))
                return
            encoded = _table.encode(_table.append(_table.parse(existing, path), table))
        for stem, prepared in images:
            if self._store_file(stem + ".png", prepared.data):
                small = self._preview(prepared, stem)
                if small is not None:
                    self._store_file(stem + ".webp", small)
        if self._store_file(path, encoded):
            self._name_table(path)

    def _name_table(self, path: str) -> None:
        """Adds ``{"path": path, "type": "table"}`` to the tag ``mlflow.loggedArtifacts``, as MLflow does."""
        with self._media_lock:
            if self._logged_tables is None:
                self._logged_tables = self._tag_list(_media.LOGGED_ARTIFACTS_TAG) if self.joined else []
            entry = {"path": path, "type": "table"}
            if entry in self._logged_tables:
                return
            value = json.dumps(self._logged_tables + [entry])
            if len(value) > 8000:  # MLflow's limit on a tag value (runlog's too)
                if not self._tag_warned:
                    self._tag_warned = True
                    warn("run %s logs too many tables to name them all in its tag %s (8000 characters); %s and "
                         "later tables are logged but not named there" % (self.id, _media.LOGGED_ARTIFACTS_TAG, path))
                return
            self._logged_tables.append(entry)
        self.set_tag(_media.LOGGED_ARTIFACTS_TAG, value)  # type: ignore[attr-defined]

    def _tag_list(self, key: str) -> List[Dict[str, str]]:
        """The JSON list a tag holds in the run's journal (its last value), for a run another
        process started; [] when there is none or it cannot be read."""
        self._journal.flush(sync=False)  # type: ignore[attr-defined]
        needle = json.dumps(key).encode("utf-8")
        found: List[Dict[str, str]] = []
        try:
            with open(os.path.join(self.dir, "events.jsonl"), "rb") as handle:
                for line in handle:
                    if needle not in line or not line.endswith(b"\n"):
                        continue
                    try:
                        event = json.loads(line.decode("utf-8"))
                        if event.get("t") == "tag" and event.get("key") == key:
                            value = json.loads(event.get("value"))
                            if isinstance(value, list):
                                found = [entry for entry in value if isinstance(entry, dict)]
                    except (ValueError, TypeError, AttributeError):
                        continue
        except OSError:
            pass
        return found
