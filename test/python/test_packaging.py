"""The client as a package: the in-tree build backend, and pip installing it into real virtualenvs.

pip must build and install ``python/`` with nothing from a package index (``[build-system]
requires = []``, the backend in ``python/_backend/``). These tests create virtualenvs and run pip,
so they fail if the backend breaks, if it starts writing into the source tree, or if the version
drifts from the extension's.
"""

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import runlog  # noqa: E402

PROJECT = support.CLIENT
BACKEND_DIR = os.path.join(PROJECT, "_backend")
if BACKEND_DIR not in sys.path:
    sys.path.insert(0, BACKEND_DIR)
import runlog_backend  # noqa: E402

DIST = "runlog_client-%s" % runlog.__version__
WHEEL = DIST + "-py3-none-any.whl"


def extension_version():
    with open(os.path.join(support.ROOT, "package.json"), encoding="utf-8") as handle:
        return json.load(handle)["version"]


def source_tree():
    """Every file under python/ but bytecode caches: what a build must leave alone."""
    found = set()
    for folder, dirs, names in os.walk(PROJECT):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found.update(os.path.relpath(os.path.join(folder, name), PROJECT) for name in names)
    return found


def package_modules():
    """The package's .py files, its subpackages' (runlog/_autolog/) included."""
    found = []
    for folder, dirs, names in os.walk(os.path.join(PROJECT, "runlog")):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        relative = os.path.relpath(folder, PROJECT).replace(os.sep, "/")
        found.extend("%s/%s" % (relative, name) for name in names if name.endswith(".py"))
    return sorted(found)


def read_metadata(text):
    headers, _, body = text.partition("\n\n")
    fields = {}
    for line in headers.splitlines():
        key, _, value = line.partition(": ")
        fields.setdefault(key, []).append(value)
    return fields, body


class BackendTest(unittest.TestCase):
    """The PEP 517/660 hooks called directly, as pip's build subprocess calls them."""

    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="runlog-build-")
        self.addCleanup(shutil.rmtree, self.out, True)
        self.before = source_tree()
        self.addCleanup(lambda: self.assertEqual(source_tree(), self.before, "the build wrote into python/"))

    def build(self, hook, *args):
        folder = tempfile.mkdtemp(dir=self.out)
        return os.path.join(folder, hook(folder, *args))

    def test_nothing_is_needed_to_build(self):
        self.assertEqual(runlog_backend.get_requires_for_build_wheel(), [])
        self.assertEqual(runlog_backend.get_requires_for_build_sdist(), [])
        self.assertEqual(runlog_backend.get_requires_for_build_editable(), [])

    def test_the_wheel_holds_the_package_with_the_extensions_version(self):
        wheel = self.build(runlog_backend.build_wheel)
        self.assertEqual(os.path.basename(wheel), WHEEL)
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            info = DIST + ".dist-info/"
            self.assertEqual(sorted(names), sorted(package_modules() + [info + "METADATA", info + "WHEEL", info + "RECORD"]))
            for module in package_modules():
                with open(os.path.join(PROJECT, module), "rb") as handle:
                    self.assertEqual(archive.read(module), handle.read(), module)
            fields, body = read_metadata(archive.read(info + "METADATA").decode("utf-8"))
            self.assertEqual(fields["Name"], ["runlog-client"])
            self.assertEqual(fields["Version"], [runlog.__version__])
            self.assertEqual(runlog.__version__, extension_version(), "the client's version is the extension's")
            self.assertEqual(fields["Requires-Python"], [">=3.8"])
            self.assertNotIn("Requires-Dist", fields, "the client has no dependencies")
            self.assertTrue(body.startswith("# Runlog's Python client"), "the README is the long description")
            self.assertIn("Root-Is-Purelib: true", archive.read(info + "WHEEL").decode("ascii"))
            rows = list(csv.reader(io.StringIO(archive.read(info + "RECORD").decode("utf-8"))))
            self.assertEqual(sorted(row[0] for row in rows), sorted(names))
            for path, digest, size in rows:
                if path == info + "RECORD":
                    self.assertEqual((digest, size), ("", ""))
                    continue
                data = archive.read(path)
                expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
                self.assertEqual((digest, int(size)), ("sha256=" + expected, len(data)), path)

    def test_builds_are_reproducible(self):
        first = self.build(runlog_backend.build_wheel)
        second = self.build(runlog_backend.build_wheel)
        with open(first, "rb") as a, open(second, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_the_sdist_builds_the_same_wheel(self):
        sdist = self.build(runlog_backend.build_sdist)
        self.assertEqual(os.path.basename(sdist), DIST + ".tar.gz")
        unpacked = tempfile.mkdtemp(dir=self.out)
        with tarfile.open(sdist) as archive:
            names = archive.getnames()
            archive.extractall(unpacked)
        expected = ["PKG-INFO", "README.md", "_backend/runlog_backend.py", "pyproject.toml"] + package_modules()
        self.assertEqual(sorted(names), sorted(DIST + "/" + name for name in expected))
        # The sdist's own backend, in a fresh interpreter, from the unpacked folder.
        wheels = tempfile.mkdtemp(dir=self.out)
        subprocess.run(
            [sys.executable, "-c", "import sys, runlog_backend; runlog_backend.build_wheel(sys.argv[1])", wheels],
            cwd=os.path.join(unpacked, DIST), env=dict(os.environ, PYTHONPATH="_backend"), check=True,
        )
        with open(os.path.join(wheels, WHEEL), "rb") as a, open(self.build(runlog_backend.build_wheel), "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_the_editable_wheel_points_at_the_source(self):
        wheel = self.build(runlog_backend.build_editable)
        with zipfile.ZipFile(wheel) as archive:
            pth = [name for name in archive.namelist() if name.endswith(".pth")]
            self.assertEqual(pth, ["__editable__.%s.pth" % DIST])
            self.assertEqual(archive.read(pth[0]).decode("utf-8"), PROJECT + "\n")
            self.assertNotIn("runlog/__init__.py", archive.namelist())

    def test_prepared_metadata_is_the_wheels(self):
        folder = tempfile.mkdtemp(dir=self.out)
        name = runlog_backend.prepare_metadata_for_build_wheel(folder)
        self.assertEqual(name, DIST + ".dist-info")
        with open(os.path.join(folder, name, "METADATA"), "rb") as handle, zipfile.ZipFile(
            self.build(runlog_backend.build_wheel)
        ) as archive:
            self.assertEqual(handle.read(), archive.read(name + "/METADATA"))

    @unittest.skipUnless(sys.version_info >= (3, 11), "tomllib is Python 3.11+")
    def test_pyproject_is_read_as_tomllib_reads_it(self):
        import tomllib

        with open(os.path.join(PROJECT, "pyproject.toml"), "rb") as handle:
            data = handle.read()
        self.assertEqual(runlog_backend.parse_toml(data.decode("utf-8")), tomllib.loads(data.decode("utf-8")))
        sample = '# c\n[a]\nx = "q\\"uote" # c\ny = [\n  "1", # one\n  "2",\n]\n[b.c]\nz = []\n'
        self.assertEqual(runlog_backend.parse_toml(sample), tomllib.loads(sample))

    def test_what_it_cannot_build_is_refused_with_a_reason(self):
        for text, why in (
            ("[project]\nversion = 1\n", "line 2: expected a string"),
            ("[project]\nname = 'x'\n", "line 2: expected a string"),
            ('[project]\nname = "x" "y"\n', "line 2: expected the end of the line"),
        ):
            with self.assertRaises(runlog_backend.BuildError) as caught:
                runlog_backend.parse_toml(text)
            self.assertIn(why, str(caught.exception))
        table = {"name": "runlog-client", "dynamic": ["version"], "dependencies": ["numpy"]}
        with self.assertRaisesRegex(runlog_backend.BuildError, "does not support \\[project\\] dependencies"):
            runlog_backend._Project(table, "1.0")
        with self.assertRaisesRegex(runlog_backend.BuildError, "dynamic must be"):
            runlog_backend._Project({"name": "x", "version": "1"}, "1.0")


def interpreters():
    """The Python running the tests, and Debian's /usr/bin/python3 when that is another one."""
    found = [sys.executable]
    if os.path.exists("/usr/bin/python3") and os.path.realpath("/usr/bin/python3") != os.path.realpath(sys.executable):
        found.append("/usr/bin/python3")
    return found


def clean_env():
    """No PYTHONPATH, no active virtualenv, no RUNLOG_* variables: a terminal in a fresh shell."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("RUNLOG_")}


def offline_env():
    """pip on a machine without a package index: this machine's PIP_* settings and pip.conf ignored,
    and an index URL where nothing listens, so any download attempt fails the test."""
    env = {k: v for k, v in clean_env().items() if not k.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL="http://127.0.0.1:9/simple/",
        PIP_RETRIES="0",
        PIP_TIMEOUT="5",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
    )
    return env


class PipInstallTest(unittest.TestCase):
    """``pip install ./python`` (also ``--no-index`` and ``-e``) and ``pip wheel --no-index ./python``
    in a fresh virtualenv of each interpreter, then a script run there with no PYTHONPATH logs a run."""

    def setUp(self):
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix="runlog-pip-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.before = source_tree()

    def run_ok(self, args, env, cwd=None):
        result = subprocess.run(args, cwd=cwd or self.tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                timeout=300)
        output = result.stdout.decode("utf-8", "replace")
        self.assertEqual(result.returncode, 0, "%s\n%s" % (" ".join(args), output))
        return output

    def imported(self, python):
        """Where the venv's interpreter imports runlog from, and its version (from an unrelated folder)."""
        out = self.run_ok([python, "-c", "import runlog; print(runlog.__version__); print(runlog.__file__)"],
                          clean_env())
        version, path = out.strip().splitlines()[-2:]
        return version, os.path.realpath(path)

    def test_pip_installs_the_client_offline(self):
        for interpreter in interpreters():
            with self.subTest(interpreter=interpreter):
                self.check_interpreter(interpreter)

    def check_interpreter(self, interpreter):
        venv = os.path.join(self.tmp, "venv-%d" % len(os.listdir(self.tmp)))
        self.run_ok([interpreter, "-m", "venv", venv], clean_env())
        python = os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")
        pip = [python, "-m", "pip"]
        site = self.run_ok([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], clean_env())
        site = os.path.realpath(site.strip())

        self.run_ok(pip + ["install", PROJECT], offline_env())
        self.assertEqual(self.imported(python), (runlog.__version__, os.path.join(site, "runlog", "__init__.py")))
        self.check_a_terminal_run(python)
        self.run_ok(pip + ["uninstall", "-y", "runlog-client"], offline_env())

        # This machine's own pip settings (PIP_FIND_LINKS and the like) must not matter either.
        self.run_ok(pip + ["install", "--no-index", PROJECT], clean_env())
        self.assertEqual(self.imported(python), (runlog.__version__, os.path.join(site, "runlog", "__init__.py")))
        self.run_ok(pip + ["uninstall", "-y", "runlog-client"], offline_env())

        self.run_ok(pip + ["install", "-e", PROJECT], offline_env())
        self.assertEqual(self.imported(python), (runlog.__version__, os.path.join(PROJECT, "runlog", "__init__.py")))
        self.run_ok(pip + ["uninstall", "-y", "runlog-client"], offline_env())
        self.assertNotIn("runlog", self.run_ok(pip + ["list", "--format=freeze"], offline_env()))

        wheels = os.path.join(self.tmp, "wheels-" + os.path.basename(venv))
        self.run_ok(pip + ["wheel", "--no-index", "--wheel-dir", wheels, PROJECT], offline_env())
        self.assertEqual(os.listdir(wheels), [WHEEL])
        self.assertEqual(source_tree(), self.before, "pip's build wrote into python/")

    def check_a_terminal_run(self, python):
        """A training script in a project folder, run by the venv's interpreter as from a terminal."""
        project = os.path.join(self.tmp, "project-" + os.path.basename(os.path.dirname(os.path.dirname(python))))
        os.makedirs(project)
        with open(os.path.join(project, "train.py"), "w", encoding="utf-8") as handle:
            handle.write("import runlog\nwith runlog.start_run(params={'lr': 0.1}):\n"
                         "    for step in range(3):\n        runlog.log_metric('loss', 1.0 / (step + 1))\n")
        env = clean_env()
        env["PATH"] = ""  # no git: the store goes to the current folder
        self.run_ok([python, "train.py"], env, cwd=project)
        runs = os.listdir(os.path.join(project, ".runlog", "runs"))
        self.assertEqual(len(runs), 1)
        events = support.read_events(os.path.join(project, ".runlog", "runs", runs[0]))
        self.assertEqual([e["t"] for e in events if e["t"] in ("run_start", "run_end")], ["run_start", "run_end"])
        self.assertEqual([e["value"] for e in events if e["t"] == "metric"], [1.0, 0.5, 1.0 / 3])


if __name__ == "__main__":
    unittest.main()
