"""python -m runlog.registry: what the editor calls to change the registry under the client's lock."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import runlog  # noqa: E402


class RegistryCommandTest(support.ClientTest):
    def cli(self, *args):
        env = {name: value for name, value in os.environ.items() if not name.startswith("RUNLOG_")}
        env["PYTHONPATH"] = support.CLIENT
        result = subprocess.run([sys.executable, "-m", "runlog.registry", "--store", self.store] + list(args),
                                env=env, cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return result.returncode, json.loads(result.stdout) if result.stdout else None, result.stderr.decode()

    def test_register_alias_resolve_delete(self):
        self.store = self.use_store()
        with open(os.path.join(self.tmp, "m.pkl"), "wb") as handle:
            handle.write(b"m")
        with runlog.start_run() as run:
            logged = runlog.log_model(os.path.join(self.tmp, "m.pkl"))
        code, out, _ = self.cli("register", logged.uri, "prices", "--description", "first", "--tag", "rmse=4")
        self.assertEqual(code, 0)
        self.assertEqual((out["version"], out["run_id"], out["source"], out["tags"]), (1, run.id, "model", {"rmse": "4"}))
        self.assertEqual(self.cli("register", logged.uri, "prices")[1]["version"], 2)
        code, out, _ = self.cli("set-alias", "prices", "champion", "2")
        self.assertEqual((code, out["version"], out["aliases"]), (0, 2, ["champion"]))
        code, out, _ = self.cli("resolve", "models:/prices@champion")
        self.assertEqual(out["path"], os.path.join(self.store, "runs", run.id, "artifacts", "model"))
        self.assertEqual(self.cli("delete-alias", "prices", "champion")[0], 0)
        self.assertEqual(self.cli("delete-version", "prices", "1")[0], 0)
        self.assertEqual(runlog.get_model_version("prices", "latest", store=self.store).version, 2)
        code, out, err = self.cli("set-alias", "prices", "champion", "1")
        self.assertEqual((code, out), (1, None))
        self.assertEqual(err.strip(), 'runlog.registry: runlog.set_alias: alias "champion" cannot point at '
                                      'version 1 of "prices": it does not exist')
        self.assertEqual(self.cli("register", logged.uri, "prices", "--tag", "novalue")[0], 1)
        self.assertEqual(self.cli("resolve", "models:/prices/9")[2].strip(),
                         "runlog.registry: registered model 'prices' has no version '9'")

    def test_set_alias_with_current_is_a_compare_and_set(self):
        self.store = self.use_store()
        with open(os.path.join(self.tmp, "m.pkl"), "wb") as handle:
            handle.write(b"m")
        with runlog.start_run():
            logged = runlog.log_model(os.path.join(self.tmp, "m.pkl"))
        for _ in range(3):
            self.cli("register", logged.uri, "prices")
        code, out, _ = self.cli("set-alias", "prices", "champion", "1", "--current", "none")
        self.assertEqual((code, out["version"]), (0, 1))
        # Two jobs read "champion is version 1"; the first to take the lock wins, the second is told.
        self.assertEqual(self.cli("set-alias", "prices", "champion", "2", "--current", "1")[0], 0)
        code, out, err = self.cli("set-alias", "prices", "champion", "3", "--current", "1")
        self.assertEqual((code, out), (3, None))
        self.assertEqual(err.strip(), "runlog.registry: runlog.set_alias: 'champion' of 'prices' points at "
                                      "version 2, not version 1")
        self.assertEqual(runlog.get_model_version_by_alias("prices", "champion", store=self.store).version, 2)
        self.assertEqual(self.cli("set-alias", "prices", "champion", "3", "--current", "none")[0], 3)


if __name__ == "__main__":
    unittest.main()
