"""runlog.autolog() itself: with nothing to patch, its import hook, switching it off. Runs in any
Python (the libraries' own integrations are tested in test_autolog_sklearn/_torch)."""

import inspect
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_events, runlog  # noqa: E402
from runlog._autolog import _core  # noqa: E402

BLOCKER = '''
import sys

class Blocker:
    """Makes the libraries autolog knows unimportable, whatever this Python has installed."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("sklearn", "torch", "numpy", "pandas"):
            raise ModuleNotFoundError("No module named %r" % name, name=name)
        return None

sys.meta_path.insert(0, Blocker())
'''


class NothingImportableTest(support.ClientTest):
    def test_autolog_with_no_library_importable_changes_nothing(self):
        store = self.use_store()
        done = support.run_script(BLOCKER + '''
import json, sys
import runlog
runlog.autolog()
loaded = sorted(name for name in ("sklearn", "torch", "numpy", "pandas") if name in sys.modules)
errors = []
for name in ("sklearn", "torch"):
    try:
        __import__(name)
    except ImportError as error:
        errors.append(type(error).__name__)
runlog.log_metric("loss", 0.5)
runlog.autolog(disable=True)
print(json.dumps({"loaded": loaded, "errors": errors, "finders": [type(f).__name__ for f in sys.meta_path]}))
''', self.tmp, {"RUNLOG_DIR": store})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr, b"")
        result = json.loads(done.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(result["loaded"], [], "autolog imports no library itself")
        self.assertEqual(result["errors"], ["ModuleNotFoundError", "ModuleNotFoundError"])
        self.assertNotIn("_PostImportFinder", result["finders"])
        (run_id,) = os.listdir(os.path.join(store, "runs"))
        events = read_events(os.path.join(store, "runs", run_id))
        self.assertEqual([e["key"] for e in of_type(events, "metric")], ["loss"])

    def test_the_arguments_are_mlflows(self):
        self.assertEqual(
            list(inspect.signature(runlog.autolog).parameters),
            ["log_models", "log_datasets", "log_input_examples", "disable", "exclusive", "silent"],
        )


class ImportHookTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        self.addCleanup(_core.remove_import_hooks)
        folder = os.path.join(self.tmp, "modules")
        os.makedirs(os.path.join(folder, "fakelib"))
        with open(os.path.join(folder, "fakelib", "__init__.py"), "w", encoding="utf-8") as handle:
            handle.write("from . import core\nVALUE = core.VALUE\n")
        with open(os.path.join(folder, "fakelib", "core.py"), "w", encoding="utf-8") as handle:
            handle.write("VALUE = 41\n")
        sys.path.insert(0, folder)
        self.addCleanup(sys.path.remove, folder)
        for name in ("fakelib", "fakelib.core"):
            self.addCleanup(sys.modules.pop, name, None)

    def test_a_module_imported_later_is_handed_over_once_it_has_run(self):
        seen = []
        _core.when_imported("fakelib.core", lambda module: seen.append((module.__name__, module.VALUE)))
        _core.when_imported("fakelib", lambda module: seen.append((module.__name__, module.VALUE)))
        self.assertEqual(seen, [])
        import fakelib  # noqa: F401

        self.assertEqual(seen, [("fakelib.core", 41), ("fakelib", 41)])
        self.assertEqual(type(fakelib.__spec__.loader).__name__, "SourceFileLoader", "the loader is not replaced")
        self.assertNotIn("exec_module", vars(fakelib.__spec__.loader), "nor left patched")

    def test_a_module_already_imported_is_handed_over_at_once(self):
        import fakelib  # noqa: F401

        seen = []
        _core.when_imported("fakelib", seen.append)
        self.assertEqual(seen, [fakelib])

    def test_a_failing_callback_never_fails_the_import(self):
        with self.captured_stderr() as err:
            _core.when_imported("fakelib", lambda module: 1 / 0)
            import fakelib

        self.assertEqual(fakelib.VALUE, 41)
        self.assertIn("ZeroDivisionError", err.getvalue())

    def test_removing_the_hooks_removes_the_finder(self):
        _core.when_imported("fakelib", lambda module: None)
        self.assertIn(_core._finder, sys.meta_path)
        _core.remove_import_hooks()
        self.assertNotIn(_core._finder, sys.meta_path)


if __name__ == "__main__":
    unittest.main()
