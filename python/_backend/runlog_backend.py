"""The Python client's build backend (PEP 517, with PEP 660's editable hooks): standard library only.

pip builds a project in an isolated environment into which it first installs the backend named by
``[build-system] requires``; with a backend from an index, a machine without one cannot install the
client. This one lives in the project (``backend-path``) and needs nothing installed, so
``pip install ./python``, ``pip install --no-index ./python``, ``pip install -e ./python`` and
``pip wheel --no-index ./python`` work offline.

It builds exactly one thing: the pure-Python package ``runlog/`` (its ``.py`` files) as the
distribution ``[project] name`` of pyproject.toml, version ``__version__`` from
``runlog/_version.py``. It writes only into the folders pip hands it, never into the source tree.
Archives are reproducible: files in sorted order, fixed timestamps (``SOURCE_DATE_EPOCH`` when
set), fixed permissions.
"""

import base64
import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "runlog"
_BACKEND = "_backend/runlog_backend.py"
# The [project] keys this backend understands. Anything else (dependencies, entry points, …) is an
# error rather than something silently left out of the package.
_PROJECT_KEYS = ("name", "dynamic", "description", "readme", "requires-python", "license", "keywords", "classifiers")
_VERSION = re.compile(r'^__version__ = "([^"]+)"$', re.M)
_ZIP_EPOCH = 315532800  # 1980-01-01, the earliest time a zip entry can carry


class BuildError(Exception):
    """Why the package cannot be built, in words for the person running pip."""


# --- PEP 517 / PEP 660 hooks -------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_dist_info(metadata_directory, _Project.read())


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _write_dist_info(metadata_directory, _Project.read())


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _Project.read()
    files = [(path, _read(os.path.join(ROOT, path))) for path in _package_files()]
    return _write_wheel(wheel_directory, project, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel holding a ``.pth`` file that puts this folder on ``sys.path``: edits apply at once."""
    project = _Project.read()
    pth = ("__editable__.%s.pth" % project.stem, (ROOT + "\n").encode("utf-8"))
    return _write_wheel(wheel_directory, project, [pth])


def build_sdist(sdist_directory, config_settings=None):
    project = _Project.read()
    top = project.stem
    paths = ["pyproject.toml", _BACKEND] + _package_files()
    if project.readme:
        paths.append(project.readme)
    files = [(path, _read(os.path.join(ROOT, path))) for path in sorted(set(paths))]
    files.append(("PKG-INFO", project.metadata().encode("utf-8")))
    name = top + ".tar.gz"
    with open(os.path.join(sdist_directory, name), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=_timestamp()) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for path, data in files:
                    info = tarfile.TarInfo("%s/%s" % (top, path))
                    info.size = len(data)
                    info.mtime = _timestamp()
                    info.mode = 0o644
                    tar.addfile(info, io.BytesIO(data))
    return name


# --- the project -------------------------------------------------------------------------------


class _Project:
    """pyproject.toml's ``[project]`` table, checked, plus the version from ``runlog/_version.py``."""

    def __init__(self, table, version):
        if "version" in table or table.get("dynamic") != ["version"]:
            raise BuildError('pyproject.toml: [project] dynamic must be ["version"] (runlog/_version.py holds it)')
        unknown = sorted(set(table) - set(_PROJECT_KEYS))
        if unknown:
            raise BuildError("pyproject.toml: runlog_backend does not support [project] %s" % ", ".join(unknown))
        self.name = _string(table, "name", required=True)
        self.version = version
        self.description = _string(table, "description")
        self.readme = _string(table, "readme")
        self.requires_python = _string(table, "requires-python")
        self.license = _string(table, "license")
        self.keywords = _strings(table, "keywords")
        self.classifiers = _strings(table, "classifiers")
        # The normalized name (PEP 503, then PEP 427's underscores) starts every file name.
        self.stem = "%s-%s" % (re.sub(r"[-_.]+", "_", self.name).lower(), version)

    @classmethod
    def read(cls):
        tables = parse_toml(_read(os.path.join(ROOT, "pyproject.toml")).decode("utf-8"))
        match = _VERSION.search(_read(os.path.join(ROOT, PACKAGE, "_version.py")).decode("utf-8"))
        if not match:
            raise BuildError('%s/_version.py has no line __version__ = "…"' % PACKAGE)
        return cls(tables.get("project", {}), match.group(1))

    def metadata(self):
        """The core metadata (METADATA in a wheel, PKG-INFO in an sdist)."""
        lines = ["Metadata-Version: 2.1", "Name: " + self.name, "Version: " + self.version]
        if self.description:
            lines.append("Summary: " + self.description)
        if self.keywords:
            lines.append("Keywords: " + ",".join(self.keywords))
        if self.license:
            lines.append("License: " + self.license)
        lines.extend("Classifier: " + classifier for classifier in self.classifiers)
        if self.requires_python:
            lines.append("Requires-Python: " + self.requires_python)
        body = ""
        if self.readme:
            kind = "text/markdown" if self.readme.endswith(".md") else "text/plain"
            lines.append("Description-Content-Type: " + kind)
            body = "\n" + _read(os.path.join(ROOT, self.readme)).decode("utf-8")
        return "\n".join(lines) + "\n" + body


def _string(table, key, required=False):
    value = table.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BuildError("pyproject.toml: [project] %s must be a non-empty string" % key)
    return value


def _strings(table, key):
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BuildError("pyproject.toml: [project] %s must be a list of strings" % key)
    return value


def _package_files():
    """The package's ``.py`` files, relative to the project with ``/``: nothing else is shipped."""
    found = []
    for folder, dirs, names in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        relative = os.path.relpath(folder, ROOT).replace(os.sep, "/")
        found.extend("%s/%s" % (relative, name) for name in sorted(names) if name.endswith(".py"))
    if "%s/__init__.py" % PACKAGE not in found:
        raise BuildError("%s has no %s/__init__.py" % (ROOT, PACKAGE))
    return found


# --- archives ----------------------------------------------------------------------------------


def _write_dist_info(directory, project):
    dist_info = project.stem + ".dist-info"
    os.makedirs(os.path.join(directory, dist_info), exist_ok=True)
    for name, data in _dist_info_files(project):
        with open(os.path.join(directory, dist_info, name), "wb") as handle:
            handle.write(data)
    return dist_info


def _dist_info_files(project):
    wheel = "Wheel-Version: 1.0\nGenerator: runlog_backend %s\nRoot-Is-Purelib: true\nTag: py3-none-any\n" % (
        project.version
    )
    return [("METADATA", project.metadata().encode("utf-8")), ("WHEEL", wheel.encode("utf-8"))]


def _write_wheel(wheel_directory, project, files):
    dist_info = project.stem + ".dist-info"
    entries = list(files) + [("%s/%s" % (dist_info, name), data) for name, data in _dist_info_files(project)]
    record = "%s/RECORD" % dist_info
    lines = ["%s,sha256=%s,%d" % (path, _digest(data), len(data)) for path, data in entries]
    lines.append("%s,," % record)
    entries.append((record, ("\n".join(lines) + "\n").encode("utf-8")))
    name = project.stem + "-py3-none-any.whl"
    date_time = time.gmtime(_timestamp())[:6]
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return name


def _digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def _timestamp():
    try:
        return max(_ZIP_EPOCH, int(os.environ["SOURCE_DATE_EPOCH"]))
    except (KeyError, ValueError):
        return _ZIP_EPOCH


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


# --- the TOML this project uses ----------------------------------------------------------------

_KEY = re.compile(r"[A-Za-z0-9_-]+")


def parse_toml(text):
    """The subset of TOML that pyproject.toml uses: ``[table]`` headers, ``key = "string"`` and
    arrays of strings (over several lines, trailing comma allowed), ``#`` comments. Python 3.8
    has no ``tomllib``; anything outside this subset raises ``BuildError`` naming the line.
    """
    tables = {}
    current = tables
    pos = 0
    while True:
        pos = _skip(text, pos, newlines=True)
        if pos >= len(text):
            return tables
        if text[pos] == "[":
            end = text.find("]", pos)
            name = text[pos + 1 : end].strip() if end > 0 else ""
            if not all(_KEY.fullmatch(part.strip()) for part in name.split(".")):
                raise _toml_error(text, pos, "a table header")
            current = tables
            for part in name.split("."):
                current = current.setdefault(part.strip(), {})
            pos = end + 1
        else:
            match = _KEY.match(text, pos)
            if not match:
                raise _toml_error(text, pos, "a key")
            pos = _skip(text, match.end())
            if not text.startswith("=", pos):
                raise _toml_error(text, pos, '"="')
            value, pos = _value(text, _skip(text, pos + 1))
            current[match.group(0)] = value
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] != "\n":
            raise _toml_error(text, pos, "the end of the line")


def _value(text, pos):
    if text.startswith('"', pos):
        match = re.compile(r'"(?:[^"\\\n]|\\.)*"').match(text, pos)
        if not match:
            raise _toml_error(text, pos, "a string")
        return json.loads(match.group(0)), match.end()
    if text.startswith("[", pos):
        items = []
        pos = _skip(text, pos + 1, newlines=True)
        while not text.startswith("]", pos):
            item, pos = _value(text, pos)
            items.append(item)
            pos = _skip(text, pos, newlines=True)
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1, newlines=True)
            elif not text.startswith("]", pos):
                raise _toml_error(text, pos, '"," or "]"')
        return items, pos + 1
    raise _toml_error(text, pos, "a string or an array of strings")


def _skip(text, pos, newlines=False):
    """Past spaces, tabs and a comment (and, with ``newlines``, line ends and blank lines)."""
    while pos < len(text):
        char = text[pos]
        if char in " \t\r" or (newlines and char == "\n"):
            pos += 1
        elif char == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        else:
            break
    return pos


def _toml_error(text, pos, expected):
    line = text.count("\n", 0, pos) + 1
    return BuildError("pyproject.toml, line %d: expected %s (runlog_backend reads a subset of TOML)" % (line, expected))
