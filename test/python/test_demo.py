"""The demo registers its models and keeps the best one as the champion (examples/house-prices)."""

import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402

DEMO = os.path.join(support.ROOT, "examples", "house-prices")


class DemoTest(support.ClientTest):
    def train(self, *args):
        env = {name: value for name, value in os.environ.items() if not name.startswith("RUNLOG_")}
        env.update(PYTHONPATH=support.CLIENT, RUNLOG_DIR=self.store)
        result = subprocess.run([sys.executable, "train.py"] + list(args), cwd=self.demo, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return result.stdout.decode()

    def test_registers_every_model_and_promotes_only_a_better_one(self):
        self.store = os.path.join(self.tmp, ".runlog")
        self.demo = os.path.join(self.tmp, "demo")
        shutil.copytree(DEMO, self.demo, ignore=shutil.ignore_patterns("data", "outputs", "__pycache__"))
        self.assertIn("registered house-prices version 1: the new champion", self.train("--n-estimators", "2"))
        self.assertIn("registered house-prices version 2; the champion stays version 1",
                      # One epoch at a tiny learning rate: worse than the forest with the demo's own
                      # models and with scikit-learn's alike (the interpreter may have either).
                      self.train("--model", "linear", "--epochs", "1", "--lr", "0.001"))
        self.assertIn("version 3: the new champion", self.train("--n-estimators", "30"))
        # Loaded elsewhere, where the demo's models.py is not importable but for the model's code/.
        result = support.run_script(
            "import json, runlog\n"
            "model = runlog.load_model('models:/house-prices@champion')\n"
            "print(json.dumps(model.predict([[120.0, 3, 15.0, 4.5]])))\n",
            self.tmp, {"RUNLOG_DIR": self.store},
        )
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        [price] = json.loads(result.stdout)
        self.assertTrue(100000 < price < 400000, price)


if __name__ == "__main__":
    unittest.main()
