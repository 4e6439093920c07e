"""Images and figures as artifact bytes: what ``log_image`` and ``log_figure`` store.

An image arrives as a Pillow image, a numpy array or nested lists of pixels, a matplotlib figure,
PNG or JPEG bytes, or a path, and leaves as the bytes of one file. Pillow, numpy and matplotlib are
never imported for this unless the image is one of their objects (or, for Pillow, when it is
importable: then arrays and other formats go through it, as in MLflow). Without Pillow, pixels
are written as PNG by ``_png.encode``.

Images logged with a ``key`` follow MLflow's layout (``mlflow/tracking/client.py``, ``log_image``)
under the run's artifacts::

    images/<key, "/" as "#">%step%<step>%timestamp%<ms>%<uuid>.png
    images/<key, "/" as "#">%step%<step>%timestamp%<ms>%<uuid>%compressed.webp

the second being MLflow's preview: the image resized (Pillow's default filter) so that its longer
side is 256 pixels, keeping the aspect ratio (smaller images are enlarged, as MLflow does), saved as
WebP with Pillow's defaults (lossy, quality 80). Only Pillow writes WebP here, so without Pillow
there is no preview. ``<uuid>`` is a UUID4 whose first character is a letter from g to z, so that
no ``%`` in the name is followed by two hex digits.
"""

import io
import os
import random
import re
import string
import sys
import uuid
from typing import Any, List, Optional, Tuple

from . import _png

# The largest image log_image stores: encoded bytes, and pixels (checked before encoding).
MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_IMAGE_PIXELS = 8192 * 8192
# MLflow's preview size (mlflow/tracking/multimedia.py, COMPRESSED_IMAGE_SIZE).
PREVIEW_SIZE = 256
# MLflow's rule for image keys; the length keeps file names under 255 bytes.
_KEY_PATTERN = re.compile(r"[a-zA-Z0-9_\-./ ]+")
MAX_IMAGE_KEY_LENGTH = 128
# MLflow's tags (mlflow/utils/mlflow_tags.py).
LOGGED_IMAGES_TAG = "mlflow.loggedImages"
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"

_FORMAT_EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
_KIND_FORMATS = {"png": "PNG", "jpeg": "JPEG"}
_PIL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


_pil_module: Any = False  # not looked for yet


def pil() -> Any:
    """Pillow's ``PIL.Image`` module when it can be imported, else None (looked for once)."""
    global _pil_module
    if _pil_module is False:
        try:
            from PIL import Image
        except Exception:  # noqa: BLE001 - ImportError, or a broken installation
            Image = None
        _pil_module = Image
    return _pil_module


def _module_object(value: Any, module: str, name: str) -> bool:
    """Whether ``value`` is an instance of ``module.name``, without importing ``module``."""
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return isinstance(cls, type) and isinstance(value, cls)


def is_pil_image(value: Any) -> bool:
    return _module_object(value, "PIL.Image", "Image")


def is_numpy_array(value: Any) -> bool:
    return _module_object(value, "numpy", "ndarray")


def is_matplotlib_figure(value: Any) -> bool:
    return _module_object(value, "matplotlib.figure", "Figure")


def is_plotly_figure(value: Any) -> bool:
    if "plotly" not in sys.modules:
        return False
    try:
        import plotly.graph_objects  # noqa: F401 - only when plotly is already in use
    except Exception:  # noqa: BLE001
        return False
    return _module_object(value, "plotly.graph_objects", "Figure")


# --- checking what the caller passed ------------------------------------------------------


def check_key(key: Any) -> str:
    """An image key as MLflow accepts it: letters, digits, ``_ - . /`` and spaces."""
    if not isinstance(key, str) or not key:
        raise ValueError("runlog.log_image: key must be a non-empty string, not %r" % (key,))
    if not _KEY_PATTERN.fullmatch(key):
        raise ValueError("runlog.log_image: key %r may only hold letters, digits, underscores (_), dashes (-), "
                         "periods (.), spaces and slashes (/), as in MLflow" % key)
    if len(key) > MAX_IMAGE_KEY_LENGTH:
        raise ValueError("runlog.log_image: key is at most %d characters, not %d (%r...)"
                         % (MAX_IMAGE_KEY_LENGTH, len(key), key[:40]))
    return key


def check_artifact_file(artifact_file: Any, what: str) -> str:
    """``artifact_file`` as a clean relative POSIX path of a file inside the run's artifacts."""
    if isinstance(artifact_file, os.PathLike):
        artifact_file = os.fspath(artifact_file)
    if not isinstance(artifact_file, str) or not artifact_file.strip():
        raise ValueError("runlog.%s: artifact_file must be a file path inside the run's artifacts, such as "
                         "'plots/loss.png', not %r" % (what, artifact_file))
    text = artifact_file.replace("\\", "/")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text) or ".." in parts:
        raise ValueError("runlog.%s: artifact_file must be a relative path inside the run's artifacts, not %r"
                         % (what, artifact_file))
    if not parts or text.endswith("/"):
        raise ValueError("runlog.%s: artifact_file must name a file, not a folder: %r" % (what, artifact_file))
    if any("\0" in part for part in parts):
        raise ValueError("runlog.%s: artifact_file holds a NUL character: %r" % (what, artifact_file))
    return "/".join(parts)


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


# --- pixels: arrays and nested lists --------------------------------------------------------


def _check_pixels(width: int, height: int, where: str) -> None:
    if width < 1 or height < 1:
        raise ValueError("runlog.log_image: %s has no pixels (%d x %d)" % (where, width, height))
    if width * height > MAX_IMAGE_PIXELS:
        raise ValueError("runlog.log_image: %s has %d x %d = %d pixels; an image is at most %d (8192 x 8192)"
                         % (where, width, height, width * height, MAX_IMAGE_PIXELS))


def _check_shape(shape: Tuple[int, ...], where: str) -> None:
    if len(shape) not in (2, 3):
        raise ValueError("runlog.log_image: %s must be H x W, H x W x 1, H x W x 3 or H x W x 4, not of shape %s"
                         % (where, tuple(shape)))
    if len(shape) == 3 and shape[2] not in (1, 3, 4):
        raise ValueError("runlog.log_image: %s has %d channels; it must have 1 (gray), 3 (RGB) or 4 (RGBA)"
                         % (where, shape[2]))
    _check_pixels(shape[1], shape[0], where)


def _numpy_pixels(array: Any) -> Any:
    """A numpy image as a uint8 array of shape H x W or H x W x 3/4, converted as MLflow converts
    it: integers must lie in [0, 255], floats in [0, 1] (then times 255, truncated), booleans are
    0 or 255."""
    np = sys.modules["numpy"]
    kind = array.dtype.kind
    if kind not in "biuf":
        raise TypeError("runlog.log_image: an image array holds booleans, integers or floats, not %s" % array.dtype)
    _check_shape(array.shape, "the image array")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if kind == "f" and bool(np.isnan(array).any()):
        raise ValueError("runlog.log_image: the float image array holds NaN")
    if kind in "iuf":
        low, high = array.min(), array.max()
        top = 255 if kind in "iu" else 1
        if low < 0 or high > top:
            raise ValueError("runlog.log_image: %s pixel values must lie in [0, %s]; this array's lie in [%s, %s]"
                             % ("integer" if kind in "iu" else "float", top if kind in "iu" else "1.0", low, high))
    if kind in "iu":
        return array.astype(np.uint8)
    return (array * 255).astype(np.uint8)


def _list_pixels(rows: Any) -> Tuple[int, int, int, bytes]:
    """Nested lists (rows of pixels, each a number or a list of 1, 3 or 4 numbers) as (width,
    height, channels, bytes), by the rules of ``_numpy_pixels`` (one float makes them all floats,
    as numpy would)."""
    height = len(rows)
    if height == 0 or not isinstance(rows[0], (list, tuple)):
        raise ValueError("runlog.log_image: nested lists of pixels are a list of rows, each a list of pixels")
    width = len(rows[0])
    if width == 0:
        raise ValueError("runlog.log_image: the image has no pixels (%d x 0)" % height)
    first = rows[0][0]
    channels = len(first) if isinstance(first, (list, tuple)) else 0
    _check_shape((height, width, channels) if channels else (height, width), "the image")
    values: List[Any] = []
    for number, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or len(row) != width:
            raise ValueError("runlog.log_image: row %d of the image has %s pixels, not %d"
                             % (number, len(row) if isinstance(row, (list, tuple)) else "no", width))
        if channels:
            for pixel in row:
                if not isinstance(pixel, (list, tuple)) or len(pixel) != channels:
                    raise ValueError("runlog.log_image: every pixel of row %d must have %d channels" % (number, channels))
                values.extend(pixel)
        else:
            values.extend(row)
    # numpy's booleans (np.bool_) are booleans too.
    values = [bool(value) if type(value).__module__ == "numpy" and type(value).__name__ in ("bool_", "bool")
              else value for value in values]
    is_float = False
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, float) or type(value).__name__.startswith("float"):
            is_float = True
        elif not hasattr(value, "__index__"):
            raise TypeError("runlog.log_image: pixels are booleans, integers or floats, not %r" % (value,))
    if is_float:
        floats = [float(value) for value in values]
        if any(value != value for value in floats):
            raise ValueError("runlog.log_image: the image holds NaN")
        low, high = min(floats), max(floats)
        if low < 0 or high > 1:
            raise ValueError("runlog.log_image: float pixel values must lie in [0, 1.0]; these lie in [%s, %s]"
                             % (low, high))
        data = bytes(int(value * 255) for value in floats)
    elif all(isinstance(value, bool) for value in values):
        data = bytes(255 if value else 0 for value in values)
    else:
        ints = [value.__index__() for value in values]  # True is 1 among integers, as numpy makes it
        low, high = min(ints), max(ints)
        if low < 0 or high > 255:
            raise ValueError("runlog.log_image: integer pixel values must lie in [0, 255]; these lie in [%d, %d]"
                             % (low, high))
        data = bytes(ints)
    return width, height, channels if channels > 1 else 1, data


# --- encoding ---------------------------------------------------------------------------------


class Prepared:
    """An image ready to store: its bytes, their format (``"png"``, ``"jpeg"`` or another Pillow
    format in lower case), and a way to get it as a Pillow image for the preview."""

    def __init__(self, data: bytes, kind: str, image: Any = None) -> None:
        self.data = data
        self.kind = kind
        self._image = image

    def pil_image(self) -> Any:
        """The image as Pillow sees it (the caller's own Pillow image, if it was one)."""
        if self._image is None:
            image_module = pil()
            opened = image_module.open(io.BytesIO(self.data))
            opened.load()
            self._image = opened
        return self._image


def _pil_save(image: Any, pil_format: str) -> bytes:
    """A Pillow image saved as ``pil_format`` in memory, as ``image.save(path)`` would write it."""
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=pil_format)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ValueError("runlog.log_image: Pillow could not write this %s-mode image as %s: %s"
                         % (getattr(image, "mode", "?"), pil_format, exc)) from None
    return buffer.getvalue()


def _target_format(extension: Optional[str], image_module: Any) -> str:
    """The Pillow format an artifact file's extension asks for (PNG for a key's image)."""
    if extension is None:
        return "PNG"
    if extension in _FORMAT_EXTENSIONS:
        return _FORMAT_EXTENSIONS[extension]
    if image_module is not None:
        found = image_module.registered_extensions().get(extension)
        if found:
            return found
    raise ValueError("runlog.log_image: cannot write an image as %r; use .png or .jpg%s"
                     % (extension or "(no extension)",
                        "" if image_module is not None else " (Pillow, which writes other formats, is not installed)"))


def _check_encoded(data: bytes) -> None:
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError("runlog.log_image: the encoded image takes %d bytes; an image is at most %d (50 MB)"
                         % (len(data), MAX_IMAGE_BYTES))


def _from_bytes(data: bytes, extension: Optional[str], where: str) -> Prepared:
    """Encoded bytes: kept as they are when they are what is asked for (PNG for a key, or the
    format the artifact file's extension names), else converted by Pillow."""
    _check_encoded(data)
    kind = _png.kind_of(data)
    image_module = pil()
    if kind is not None:
        _, width, height = _png.image_size(data)
        _check_pixels(width, height, where)
        if extension is None or _FORMAT_EXTENSIONS.get(extension) == _KIND_FORMATS[kind]:
            return Prepared(data, kind)  # PNG or JPEG bytes are stored as they are
    if image_module is None:
        if kind is None:
            raise ValueError("runlog.log_image: %s is neither PNG nor JPEG; Pillow, which reads other formats, "
                             "is not installed" % where)
        raise ValueError("runlog.log_image: %s is %s, and the artifact file %r asks for another format; "
                         "Pillow, which converts images, is not installed" % (where, kind.upper(), extension))
    try:
        opened = image_module.open(io.BytesIO(data))
        opened.load()
    except Exception as exc:  # noqa: BLE001 - Pillow raises several kinds for unreadable data
        raise ValueError("runlog.log_image: %s is not an image Pillow can read: %s" % (where, exc)) from None
    _check_pixels(opened.size[0], opened.size[1], where)
    target = _target_format(extension, image_module)
    if opened.format == target:
        return Prepared(data, target.lower(), opened)
    return _from_pil(opened, target)


def _from_pil(image: Any, target: str) -> Prepared:
    _check_pixels(image.size[0], image.size[1], "the image")
    data = _pil_save(image, target)
    _check_encoded(data)
    return Prepared(data, target.lower(), image)


def _read_path(path: str) -> bytes:
    if not os.path.isfile(path):
        raise FileNotFoundError("runlog.log_image: no image file %r" % path)
    size = os.path.getsize(path)
    if size > MAX_IMAGE_BYTES:
        raise ValueError("runlog.log_image: %s takes %d bytes; an image is at most %d (50 MB)" % (path, size, MAX_IMAGE_BYTES))
    with open(path, "rb") as handle:
        return handle.read()


def prepare_image(image: Any, artifact_file: Optional[str] = None) -> Prepared:
    """The bytes to store for ``image``: PNG for an image logged with a key (JPEG bytes stay JPEG),
    or the format ``artifact_file``'s extension names. Bad input raises ValueError or TypeError;
    a path that cannot be read raises OSError (the caller reports it)."""
    extension = None if artifact_file is None else _extension(artifact_file)
    image_module = pil()
    if isinstance(image, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(image), extension, "the image")
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        return _from_bytes(_read_path(path), extension, "the image %r" % path)
    if is_pil_image(image):
        return _from_pil(image, _target_format(extension, image_module))
    if is_matplotlib_figure(image):
        target = "png" if extension is None else extension[1:]
        data = _savefig(image, target or None, {})
        _check_encoded(data)
        if target == "png":
            _check_pixels(*_png.png_size(data), "the figure")
        return Prepared(data, target)
    if is_numpy_array(image):
        pixels = _numpy_pixels(image)
        if image_module is not None:
            return _from_pil(image_module.fromarray(pixels), _target_format(extension, image_module))
        np = sys.modules["numpy"]
        height, width = pixels.shape[:2]
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        return _stdlib_png(width, height, channels, np.ascontiguousarray(pixels).tobytes(), extension)
    if isinstance(image, (list, tuple)):
        width, height, channels, data = _list_pixels(image)
        if image_module is not None:
            frame = image_module.frombytes(_PIL_MODES[channels], (width, height), data)
            return _from_pil(frame, _target_format(extension, image_module))
        return _stdlib_png(width, height, channels, data, extension)
    raise TypeError("runlog.log_image: an image is a PIL image, a numpy array (or nested lists) of pixels, a "
                    "matplotlib figure, PNG or JPEG bytes, or a path; not %s (a torch tensor: pass "
                    "tensor.cpu().numpy(), channels last)" % type(image).__name__)


def _stdlib_png(width: int, height: int, channels: int, pixels: bytes, extension: Optional[str]) -> Prepared:
    if extension not in (None, ".png"):
        raise ValueError("runlog.log_image: without Pillow, pixels are written as PNG only; name the artifact "
                         "file .png, not %r (or install Pillow)" % extension)
    data = _png.encode(width, height, channels, pixels)
    _check_encoded(data)
    return Prepared(data, "png")


def extension_for(prepared: Prepared) -> str:
    """The file extension of a key's image: ``.png``, or ``.jpg`` for JPEG bytes kept as they are."""
    return ".jpg" if prepared.kind == "jpeg" else ".png"


# --- MLflow's preview -------------------------------------------------------------------------


def preview_size(width: int, height: int, side: int = PREVIEW_SIZE) -> Tuple[int, int]:
    """MLflow's preview size: the longer side ``side``, the other scaled and truncated (at least 1)."""
    if width > height:
        return side, max(1, int(height * (side / width)))
    return max(1, int(width * (side / height))), side


def preview(prepared: Prepared) -> Optional[bytes]:
    """MLflow's ``%compressed.webp`` for an image, or None without Pillow. Pillow's own failures
    (a build without WebP, a mode it cannot resize) raise; the caller reports them."""
    if pil() is None:
        return None
    image = prepared.pil_image()
    resized = image.resize(preview_size(image.size[0], image.size[1]))
    buffer = io.BytesIO()
    resized.save(buffer, format="WEBP")
    return buffer.getvalue()


def image_file_stem(key: str, step: int, timestamp: int) -> str:
    """``images/<key>%step%<step>%timestamp%<ms>%<uuid>``, the names of MLflow's ``log_image``."""
    unique = str(uuid.uuid4())
    unique = random.choice(string.ascii_lowercase[6:]) + unique[1:]
    return "images/%s%%step%%%d%%timestamp%%%d%%%s" % (key.replace("/", "#"), step, timestamp, unique)


# --- figures ------------------------------------------------------------------------------------


def _savefig(figure: Any, file_format: Optional[str], save_kwargs: dict) -> bytes:
    buffer = io.BytesIO()
    options = dict(save_kwargs)
    if file_format:
        options.setdefault("format", file_format)
    figure.savefig(buffer, **options)
    return buffer.getvalue()


# MLflow's formats for plotly figures other than HTML (its client.py, log_figure).
_PLOTLY_IMAGE_EXTENSIONS = (".png", ".jpeg", ".webp", ".svg", ".pdf")


def figure_bytes(figure: Any, artifact_file: str, save_kwargs: Optional[dict]) -> bytes:
    """A matplotlib figure saved in the format of ``artifact_file``'s extension (matplotlib's
    default format without one), or a plotly figure as HTML (plotly.js from its CDN) or, through
    plotly's ``write_image``, as an image."""
    options = dict(save_kwargs or {})
    extension = _extension(artifact_file)
    if is_matplotlib_figure(figure):
        return _savefig(figure, extension[1:] or None, options)
    if is_plotly_figure(figure):
        if extension == ".html":
            options.setdefault("include_plotlyjs", "cdn")
            options.setdefault("auto_open", False)
            text = io.StringIO()
            figure.write_html(text, **options)
            return text.getvalue().encode("utf-8")
        if extension in _PLOTLY_IMAGE_EXTENSIONS:
            buffer = io.BytesIO()
            options.setdefault("format", extension[1:])
            figure.write_image(buffer, **options)
            return buffer.getvalue()
        raise TypeError("runlog.log_figure: a plotly figure is written as .html, %s; not %r"
                        % (", ".join(_PLOTLY_IMAGE_EXTENSIONS), extension or artifact_file))
    raise TypeError("runlog.log_figure: a figure is a matplotlib Figure or a plotly Figure, not %s"
                    % type(figure).__name__)

