"""MLflow 3's logged models as the Python client reads them from ``models/events.jsonl``."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from runlog import _logged_models  # noqa: E402


class LoggedModelsTest(support.ClientTest):
    def test_files_follow_artifact_and_remove_artifact_lines(self):
        store = self.use_store()
        os.makedirs(os.path.join(store, "models"), exist_ok=True)
        lines = [
            {"action": "create", "name": "net", "experiment_id": "0", "source_run_id": "r1"},
            {"action": "artifact", "path": "MLmodel", "size": 3, "sha256": "a"},
            {"action": "artifact", "path": "data/model.pkl", "size": 3, "sha256": "b"},
            {"action": "artifact", "path": "data2/x", "size": 3, "sha256": "c"},
            {"action": "remove_artifact", "path": "data"},
            {"action": "finalize", "status": "READY"},
        ]
        with open(os.path.join(store, "models", "events.jsonl"), "w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps(dict(line, t="logged_model", ts=1, model_id="m-1")) + "\n")
        model = _logged_models.get(store, "m-1")
        self.assertIsNotNone(model)
        self.assertEqual(sorted(model.files), ["MLmodel", "data2/x"])
        self.assertEqual(model.status, "READY")


if __name__ == "__main__":
    unittest.main()
