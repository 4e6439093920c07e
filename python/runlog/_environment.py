"""The Python environment a run ran in: the ``environment`` event, and a model's requirements.

``capture()`` reads the interpreter (version, implementation, path), the platform and every
installed distribution with its version from ``importlib.metadata`` — only each distribution's
``Name:`` and ``Version:`` header lines, not a full metadata parse and no ``pip freeze`` — plus the
NVIDIA driver and CUDA versions when ``nvidia-smi`` is on the PATH. It is read once per process.

``requirements(...)`` writes what a logged model needs, MLflow's way: ``requirements.txt`` pins the
distributions that provide the model's modules and everything they require (their
``Requires-Dist``, followed through the installed distributions), at the installed versions;
``python_env.yaml`` names the Python version, the build tools and ``-r requirements.txt``.
"""

import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

try:  # Python 3.8+: always there, but an odd embedding may lack it
    import importlib.metadata as _metadata
except ImportError:  # pragma: no cover
    _metadata = None  # type: ignore[assignment]

NVIDIA_SMI_TIMEOUT = 5.0
# This client itself is installed from the extension's folder, not from a package index: a model's
# requirements.txt cannot name it (pip install -r would fail), so it is left out.
_OWN_DISTRIBUTION = "runlog-client"
_NAME_RUNS = re.compile(r"[-_.]+")
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

_lock = threading.Lock()
_captured: Optional[Dict[str, Any]] = None
_modules: Optional[Dict[str, List[str]]] = None


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``Scikit_Learn`` → ``scikit-learn``."""
    return _NAME_RUNS.sub("-", name).lower()


def _headers(distribution: Any) -> Tuple[Optional[str], Optional[str]]:
    """A distribution's Name and Version from the first lines of its metadata (not the whole file)."""
    text = None
    # "": a distribution whose .egg-info is a file, not a folder (Debian's python3-sympy and others).
    for file in ("METADATA", "PKG-INFO", ""):
        try:
            text = distribution.read_text(file)
        except Exception:  # noqa: BLE001 - an unreadable distribution is skipped
            text = None
        if text:
            break
    if not text:
        return None, None
    name = version = None
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
    return name, version


def packages() -> Dict[str, str]:
    """Every installed distribution the interpreter would import, ``{normalized name: version}``,
    sorted by name. When one name is installed twice on ``sys.path``, the first one wins, as for
    imports."""
    found: Dict[str, str] = {}
    if _metadata is None:
        return found
    try:
        distributions = list(_metadata.distributions())
    except Exception:  # noqa: BLE001 - a broken site-packages must not stop a run
        return found
    for distribution in distributions:
        name, version = _headers(distribution)
        if name and version:
            found.setdefault(normalize(name), version)
    return dict(sorted(found.items()))


def _nvidia_smi(args: List[str]) -> Optional[str]:
    """nvidia-smi's output, or None when it is absent, fails or hangs."""
    command = shutil.which("nvidia-smi")
    if not command:
        return None
    try:
        done = subprocess.run(
            [command] + args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=NVIDIA_SMI_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace")


def _number(text: str) -> Optional[float]:
    try:
        return float(text)
    except ValueError:
        return None  # "[N/A]", "[Not Supported]"


def gpus() -> Optional[Dict[str, Any]]:
    """The NVIDIA driver, CUDA version and devices that ``nvidia-smi`` reports, or None."""
    listing = _nvidia_smi(["--query-gpu=index,name,driver_version,memory.total", "--format=csv,noheader,nounits"])
    if listing is None:
        return None
    devices: List[Dict[str, Any]] = []
    driver = None
    for line in listing.splitlines():
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) < 4:
            continue
        device: Dict[str, Any] = {"name": cells[1]}
        memory = _number(cells[3])  # MiB, as nvidia-smi counts
        if memory is not None:
            # MLflow's megabytes (10**6 bytes), as the system metrics' gpu_<i>_memory_usage_megabytes.
            device["memory_total_megabytes"] = round(memory * 1048576 / 1e6, 1)
        devices.append(device)
        driver = driver or cells[2]
    result: Dict[str, Any] = {"devices": devices}
    if driver:
        result["driver_version"] = driver
    header = _nvidia_smi([]) or ""
    match = re.search(r"CUDA Version:\s*([0-9][0-9.]*)", header)
    if match:
        result["cuda_version"] = match.group(1)
    return result


def capture() -> Dict[str, Any]:
    """The fields of the ``environment`` event (docs/JOURNAL.md), read once per process."""
    global _captured
    with _lock:
        if _captured is None:
            fields: Dict[str, Any] = {
                "python_version": platform.python_version(),
                "python_implementation": platform.python_implementation(),
                "executable": sys.executable or "",
                "platform": platform.platform(),
                "system": platform.system(),
                "machine": platform.machine(),
                "packages": packages(),
            }
            gpu = gpus()
            if gpu is not None:
                fields["gpu"] = gpu
            _captured = fields
        return dict(_captured)


# --- a model's requirements ---------------------------------------------------------------------


def _module_distributions() -> Dict[str, List[str]]:
    """Top-level module name → the normalized names of the distributions that provide it."""
    global _modules
    with _lock:
        if _modules is None:
            mapping: Dict[str, List[str]] = {}
            if _metadata is not None and hasattr(_metadata, "packages_distributions"):
                try:
                    for module, names in _metadata.packages_distributions().items():  # Python 3.10+
                        mapping[module] = sorted({normalize(name) for name in names})
                except Exception:  # noqa: BLE001
                    mapping = {}
            elif _metadata is not None:
                for distribution in _metadata.distributions():
                    name, _ = _headers(distribution)
                    if not name:
                        continue
                    try:
                        top = distribution.read_text("top_level.txt") or ""
                    except Exception:  # noqa: BLE001
                        top = ""
                    for module in top.split():
                        mapping.setdefault(module, []).append(normalize(name))
            _modules = mapping
        return _modules


_requires_cache: Dict[str, List[str]] = {}


def _requires(name: str) -> List[str]:
    """The distributions ``name`` requires unconditionally (no extras, markers that hold here);
    read once per process (importlib.metadata looks a distribution up on every call)."""
    found = _requires_cache.get(name)
    if found is None:
        found = _requires_cache[name] = _read_requires(name)
    return found


def _read_requires(name: str) -> List[str]:
    if _metadata is None:
        return []
    try:
        lines = _metadata.requires(name) or []
    except Exception:  # noqa: BLE001 - not installed under this name
        return []
    found = []
    for line in lines:
        requirement, _, marker = line.partition(";")
        if marker and not _marker_holds(marker):
            continue
        match = _REQUIREMENT_NAME.match(requirement)
        if match:
            found.append(normalize(match.group(1)))
    return found


def _marker_holds(marker: str) -> bool:
    """A conservative reading of an environment marker: requirements of extras never hold; a
    ``python_version`` or ``sys_platform`` comparison is evaluated; anything else is kept."""
    if "extra" in marker:
        return False
    variables = {
        "python_version": "%d.%d" % sys.version_info[:2],
        "sys_platform": sys.platform,
        "platform_system": platform.system(),
        "os_name": os.name,
    }
    for clause in re.split(r"\band\b", marker):
        match = re.match(r"\s*(\w+)\s*(==|!=|<=|>=|<|>)\s*['\"]([^'\"]*)['\"]\s*$", clause.strip("() "))
        if not match or match.group(1) not in variables:
            continue
        left, op, right = variables[match.group(1)], match.group(2), match.group(3)
        if match.group(1) == "python_version":
            left_key: Any = tuple(int(p) for p in left.split("."))
            right_key: Any = tuple(int(p) for p in right.split(".") if p.isdigit())
        else:
            left_key, right_key = left, right
        holds = {
            "==": left_key == right_key, "!=": left_key != right_key, "<=": left_key <= right_key,
            ">=": left_key >= right_key, "<": left_key < right_key, ">": left_key > right_key,
        }[op]
        if not holds:
            return False
    return True


def requirements(modules: Iterable[str], distributions: Iterable[str] = ()) -> Tuple[List[str], List[str]]:
    """``name==version`` lines for the distributions providing ``modules`` (top-level names) and
    the named ``distributions``, with everything they require, at their installed versions; and
    the modules that no installed distribution provides (the model's own code, say)."""
    installed = capture()["packages"]
    mapping = _module_distributions()
    wanted: List[str] = [normalize(name) for name in distributions]
    unprovided: List[str] = []
    for module in sorted(set(modules)):
        if not module or module in sys.builtin_module_names or _is_stdlib(module):
            continue
        names = mapping.get(module)
        if names:
            wanted.extend(names)
        elif module not in ("__main__", "runlog"):
            unprovided.append(module)
    pinned: Set[str] = set()
    queue = [name for name in wanted if name in installed]
    while queue:
        name = queue.pop()
        if name in pinned or name == _OWN_DISTRIBUTION or name not in installed:
            continue
        pinned.add(name)
        queue.extend(_requires(name))
    return ["%s==%s" % (name, installed[name]) for name in sorted(pinned)], sorted(set(unprovided))


# Names pickles of protocol 2 and below use for the standard library (Python 2's), mapped on load.
_PYTHON2_NAMES = frozenset(("__builtin__", "copy_reg", "cPickle", "exceptions", "_codecs", "builtins"))


def _is_stdlib(module: str) -> bool:
    if module in _PYTHON2_NAMES:
        return True
    names = getattr(sys, "stdlib_module_names", None)  # Python 3.10+
    if names is not None:
        return module in names
    loaded = sys.modules.get(module)
    path = getattr(loaded, "__file__", None) if loaded is not None else None
    if not path:
        return False
    import sysconfig

    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    real = os.path.realpath(path)
    return real.startswith(stdlib + os.sep) and "site-packages" not in real and "dist-packages" not in real


def write_model_environment(folder: str, modules: Iterable[str], distributions: Iterable[str] = ()) -> List[str]:
    """Writes ``requirements.txt`` and ``python_env.yaml`` into a model folder, unless the model
    brought its own; returns the names written."""
    written = []
    lines, unprovided = requirements(modules, distributions)
    target = os.path.join(folder, "requirements.txt")
    if not os.path.exists(target):
        text = "".join(line + "\n" for line in lines)
        if unprovided:
            text += "# modules the model uses that no installed distribution provides (ship them as code): %s\n" % (
                ", ".join(unprovided)
            )
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        written.append("requirements.txt")
    target = os.path.join(folder, "python_env.yaml")
    if not os.path.exists(target):
        installed = capture()["packages"]
        tools = ["%s==%s" % (tool, installed[tool]) if tool in installed else tool for tool in ("pip", "setuptools", "wheel")]
        text = "python: %s\nbuild_dependencies:\n%sdependencies:\n- -r requirements.txt\n" % (
            platform.python_version(),
            "".join("- %s\n" % tool for tool in tools),
        )
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        written.append("python_env.yaml")
    return written


# The journal format that introduced the environment event (docs/JOURNAL.md).
ENVIRONMENT_FORMAT = 2


def record(run: Any) -> None:
    """Appends the ``environment`` event to a run's journal. Skipped for a store that a Runlog
    window of journal format 1 recorded (it would report the event as a journal problem); a
    failure to read the environment is said on stderr and never stops the run."""
    from . import _store
    from ._journal import warn

    recorded = _store.recorded_format(run.store)
    if recorded is not None and recorded < ENVIRONMENT_FORMAT:
        return
    try:
        fields = capture()
    except Exception as exc:  # noqa: BLE001 - the environment is a record, not a reason to fail
        warn("could not read the Python environment: %r" % (exc,))
        return
    run._write("environment", fields)


# --- the modules a model's files name -------------------------------------------------------------

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
_TORCH_SUFFIXES = (".pt", ".pth")
# Reading a pickle's opcodes is Python-speed: the classes a model uses appear early (memoized
# after), so the scan stops after this many opcodes.
MAX_PICKLE_OPS = 50000


def pickle_modules(stream: Any, max_ops: int = MAX_PICKLE_OPS) -> Set[str]:
    """The top-level modules of the classes and functions a pickle names (GLOBAL, STACK_GLOBAL)."""
    import pickletools

    found: Set[str] = set()
    memo: Dict[int, Any] = {}
    pushed: List[Any] = [None, None]  # the last two values pushed, when they were strings
    strings = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING", "SHORT_BINSTRING"}
    gets = {"GET", "BINGET", "LONG_BINGET"}
    puts = {"PUT", "BINPUT", "LONG_BINPUT"}
    try:
        for count, (op, arg, _) in enumerate(pickletools.genops(stream)):
            if count >= max_ops:
                break
            name = op.name
            if name == "GLOBAL":
                found.add(str(arg).split(" ", 1)[0].split(".", 1)[0])
                value = None
            elif name == "STACK_GLOBAL":
                if isinstance(pushed[-2], str):
                    found.add(pushed[-2].split(".", 1)[0])
                value = None
            elif name in strings:
                value = arg if isinstance(arg, str) else None
            elif name in gets:
                value = memo.get(arg)
            elif name == "MEMOIZE":
                memo[len(memo)] = pushed[-1]
                continue
            elif name in puts:
                memo[arg] = pushed[-1]
                continue
            elif name == "STOP":
                break
            else:
                value = None
            pushed = [pushed[-1], value]
    except Exception:  # noqa: BLE001 - a file that is not a pickle (or a newer protocol) names nothing
        pass
    return found


def model_modules(folder: str) -> Set[str]:
    """The top-level modules that a model folder's pickles (and torch.save archives) name."""
    import zipfile

    from . import _files

    found: Set[str] = set()
    for path, relative in _files.list_files(folder):
        lower = relative.lower()
        try:
            if lower.endswith(_PICKLE_SUFFIXES):
                with open(path, "rb") as handle:
                    found |= pickle_modules(handle)
            elif lower.endswith(_TORCH_SUFFIXES) and zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    for member in archive.namelist():
                        if member.endswith("/data.pkl") or member == "data.pkl":
                            with archive.open(member) as handle:
                                found |= pickle_modules(handle)
        except OSError:
            continue
    found.discard("")
    return found
