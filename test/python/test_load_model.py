"""load_model: flavors, the model's own code, and refusing files that changed since they were logged."""

import os
import pickle
import sys
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import runlog  # noqa: E402
from runlog import _loading  # noqa: E402

MODEL_CODE = '''
class Doubler:
    def __init__(self, factor):
        self.factor = factor

    def predict(self, rows):
        return [sum(row) * self.factor for row in rows]
'''


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def pickled_model_folder(folder, module):
    """A folder holding model.pkl (an instance of a class from code/<module>.py) and that code."""
    write(os.path.join(folder, "code", module + ".py"), MODEL_CODE.encode())
    sys.path.insert(0, os.path.join(folder, "code"))
    try:
        instance = __import__(module).Doubler(2)
        write(os.path.join(folder, "model.pkl"), pickle.dumps(instance))
    finally:
        sys.path.remove(os.path.join(folder, "code"))
        del sys.modules[module]


class LoadModelTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        self.store = self.use_store()

    def log(self, source, **options):
        with runlog.start_run() as run:
            logged = runlog.log_model(source, **options)
        return run, logged

    def test_a_pickled_object_comes_back(self):
        write(os.path.join(self.tmp, "m.pkl"), pickle.dumps({"weights": [1, 2, 3]}))
        _, logged = self.log(os.path.join(self.tmp, "m.pkl"), flavor="sklearn")
        runlog.register_model(logged, "m")
        runlog.set_alias("m", "champion", 1)
        self.assertEqual(runlog.load_model(logged.uri), {"weights": [1, 2, 3]})
        self.assertEqual(runlog.load_model("models:/m@champion"), {"weights": [1, 2, 3]})

    def test_the_models_own_code_travels_in_its_code_folder(self):
        folder = os.path.join(self.tmp, "export")
        pickled_model_folder(folder, "doubler_for_load_test")
        _, logged = self.log(folder)
        model = runlog.load_model(logged.uri)
        self.assertEqual(model.predict([[1, 2], [3, 4]]), [6, 14])
        self.assertEqual(runlog.load_model(logged.uri).factor, 2, "loading again: no __pycache__ was left behind")

    def test_a_changed_missing_or_extra_file_is_refused_before_unpickling(self):
        folder = os.path.join(self.tmp, "export")
        pickled_model_folder(folder, "doubler_tampered")
        run, logged = self.log(folder)
        stored = os.path.join(self.store, "runs", run.id, "artifacts", "model")
        code = os.path.join(stored, "code", "doubler_tampered.py")
        original = support.read_bytes(code)
        write(code, original + b"\nimport os; os._exit(3)\n")
        with self.assertRaisesRegex(runlog.ModelIntegrityError, r"model/code/doubler_tampered\.py changed since"):
            runlog.load_model(logged.uri)
        write(code, original)
        write(os.path.join(stored, "code", "sitecustomize.py"), b"raise SystemExit")
        with self.assertRaisesRegex(runlog.ModelIntegrityError, "a file the run did not log with the model"):
            runlog.load_model(logged.uri)
        os.remove(os.path.join(stored, "code", "sitecustomize.py"))
        os.remove(os.path.join(stored, "model.pkl"))
        with self.assertRaisesRegex(runlog.ModelIntegrityError, "model/model.pkl is missing"):
            runlog.load_model(logged.uri)

    def test_a_folder_no_model_event_describes_is_not_loaded(self):
        with runlog.start_run() as run:
            runlog.log_artifact(self.write_pickle("m.pkl"), "loose")
        with self.assertRaisesRegex(runlog.ModelLoadError, "logged no model 'loose'"):
            runlog.load_model("runs:/%s/loose" % run.id)

    def write_pickle(self, name):
        path = os.path.join(self.tmp, name)
        write(path, pickle.dumps([1]))
        return path

    def test_other_flavors_say_what_they_are(self):
        _, logged = self.log(self.write_pickle("m.onnx"), flavor="onnx")
        with self.assertRaisesRegex(runlog.ModelLoadError, "cannot load a model of flavor onnx"):
            runlog.load_model(logged.uri)

    def test_pytorch_needs_torch(self):
        _, logged = self.log(self.write_pickle("model.pth"), flavor="pytorch")
        saved = sys.modules.get("torch")
        sys.modules["torch"] = None  # type: ignore[assignment]  # import torch now raises ImportError
        try:
            with self.assertRaisesRegex(runlog.ModelLoadError, "flavor is pytorch, but torch is not installed"):
                runlog.load_model(logged.uri)
            calls = []
            fake = types.ModuleType("torch")
            fake.load = lambda path, **options: calls.append((os.path.basename(path), options)) or "net"
            sys.modules["torch"] = fake
            self.assertEqual(runlog.load_model(logged.uri), "net")
            self.assertEqual(calls, [("model.pth", {"map_location": "cpu", "weights_only": False})])
        finally:
            if saved is None:
                del sys.modules["torch"]
            else:
                sys.modules["torch"] = saved

    def test_mlflow_manifests_are_read(self):
        manifest = _loading.parse_mlmodel(
            "artifact_path: model\nflavors:\n  python_function:\n    env:\n      conda: conda.yaml\n"
            "    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n"
            "    serialization_format: cloudpickle\nrun_id: abc\nsignature:\n  inputs: '[{\"name\": \"x\"}]'\n"
        )
        self.assertEqual(manifest["flavors"]["sklearn"], {"pickled_model": "model.pkl",
                                                         "serialization_format": "cloudpickle"})
        self.assertEqual(manifest["flavors"]["python_function"]["env"], {"conda": "conda.yaml"})
        self.assertEqual(manifest["signature"]["inputs"], '[{"name": "x"}]')
        self.assertEqual(manifest["run_id"], "abc")


if __name__ == "__main__":
    unittest.main()
