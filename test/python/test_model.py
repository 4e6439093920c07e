"""Logged models: the files, the MLmodel manifest and the model event."""

import hashlib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import of_type, read_events, runlog  # noqa: E402
from test_files import FilesTest  # noqa: E402


class ModelTest(FilesTest):

    def test_a_file_becomes_a_model_folder_with_a_manifest(self):
        self.write("model.pkl", b"pickled")
        with runlog.start_run() as run:
            model = runlog.log_model(
                os.path.join(self.tmp, "model.pkl"),
                flavor="sklearn",
                signature={"inputs": [{"name": "area", "type": "double"}]},
                input_example={"inputs": [[120.0]]},
            )
        self.assertEqual(model.uri, "runs:/%s/model" % run.id)
        folder = os.path.join(run.dir, "artifacts", "model")
        self.assertEqual(
            sorted(os.listdir(folder)),
            ["MLmodel", "input_example.json", "model.pkl", "python_env.yaml", "requirements.txt"],
        )
        with open(os.path.join(folder, "MLmodel"), encoding="utf-8") as handle:
            manifest = handle.read()
        for line in ('artifact_path: "model"', "  sklearn:", '    data: "model.pkl"', 'run_id: "%s"' % run.id):
            self.assertIn(line + "\n", manifest)
        self.assertIn('model_uuid: "%s"' % model.model_uuid, manifest)
        self.assertIn("signature:\n  inputs: ", manifest)
        self.assertIn("utc_time_created: ", manifest)
        [event] = of_type(read_events(run.dir), "model")
        self.assertEqual((event["name"], event["flavor"], event["uuid"]), ("model", "sklearn", model.model_uuid))
        files = {f["path"]: f for f in event["files"]}
        self.assertEqual(
            sorted(files),
            ["model/MLmodel", "model/input_example.json", "model/model.pkl", "model/python_env.yaml",
             "model/requirements.txt"],
        )
        # Every file of the model is an artifact of the run too, once.
        artifacts = [e["path"] for e in of_type(read_events(run.dir), "artifact")]
        self.assertEqual(sorted(artifacts), sorted(files))
        self.assertEqual(files["model/model.pkl"]["sha256"], hashlib.sha256(b"pickled").hexdigest())
        self.assertEqual(json.loads(event["signature"]), {"inputs": [{"name": "area", "type": "double"}]})

    def test_a_folder_keeps_its_layout(self):
        self.write("export/weights.bin", b"w")
        self.write("export/config/params.json", b"{}")
        with runlog.start_run() as run:
            runlog.log_model(os.path.join(self.tmp, "export"), name="net", flavor="pytorch")
        [event] = of_type(read_events(run.dir), "model")
        self.assertEqual(
            sorted(f["path"] for f in event["files"]),
            ["net/MLmodel", "net/config/params.json", "net/python_env.yaml", "net/requirements.txt", "net/weights.bin"],
        )
        self.assertNotIn("signature", event)

    def test_bad_arguments_are_refused_before_anything_is_copied(self):
        self.write("model.pkl", b"x")
        with runlog.start_run() as run:
            with self.assertRaises(ValueError):
                runlog.log_model(os.path.join(self.tmp, "model.pkl"), flavor="tensorflow")
            with self.assertRaises(ValueError):
                runlog.log_model(os.path.join(self.tmp, "model.pkl"), name="../outside")
            with self.assertRaises(FileNotFoundError):
                runlog.log_model(os.path.join(self.tmp, "missing.pkl"))
        self.assertEqual(of_type(read_events(run.dir), "model"), [])
        self.assertFalse(os.path.exists(os.path.join(run.dir, "artifacts", "model")))


if __name__ == "__main__":
    unittest.main()
