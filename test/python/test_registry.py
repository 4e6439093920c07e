"""The model registry: versions, aliases, model URIs, and registering from several processes at once."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import runlog  # noqa: E402
from runlog import _registry_state  # noqa: E402


def registry_events(store):
    path = os.path.join(store, "registry", "events.jsonl")
    with open(path, "rb") as handle:
        data = handle.read()
    assert data.endswith(b"\n"), "the registry journal ends with a newline"
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


class RegistryTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        self.store = self.use_store()

    def logged_model(self, name="model"):
        self.write_file("model.pkl", b"weights")
        with runlog.start_run() as run:
            logged = runlog.log_model(os.path.join(self.tmp, "model.pkl"), name=name)
        return run, logged

    def write_file(self, relative, data):
        with open(os.path.join(self.tmp, relative), "wb") as handle:
            handle.write(data)

    def test_versions_are_numbered_and_written_out(self):
        run, logged = self.logged_model()
        first = runlog.register_model(logged.uri, "house-prices", description="first", tags={"rmse": 41000})
        second = runlog.register_model(logged, "house-prices")
        self.assertEqual((first.name, first.version, first.run_id, first.source), ("house-prices", 1, run.id, "model"))
        self.assertEqual((first.description, first.tags), ("first", {"rmse": "41000"}))
        self.assertEqual(second.version, 2)
        self.assertEqual(second.uri, "models:/house-prices/2")
        self.assertEqual(second.source_uri, logged.uri)
        events = registry_events(self.store)
        self.assertEqual([(e["action"], e["version"]) for e in events], [("create_version", 1), ("create_version", 2)])
        self.assertEqual(events[0]["tags"], {"rmse": "41000"})
        odd = runlog.register_model(logged, "house-prices", description="caf\udce9 <b>")
        self.assertEqual(odd.description, "caf? <b>", "a lone surrogate cannot reach the journal")
        self.assertEqual(registry_events(self.store)[-1]["description"], "caf? <b>")
        self.assertTrue(all(_registry_state.event_problem(e) is None for e in events))

    def test_aliases_move_and_go_with_a_deleted_version(self):
        _, logged = self.logged_model()
        for _ in range(3):
            runlog.register_model(logged, "prices")
        runlog.set_alias("prices", "champion", 1)
        runlog.set_alias("prices", "champion", "2")
        runlog.set_alias("prices", "staging", 2)
        champion = runlog.get_model_version_by_alias("prices", "champion")
        self.assertEqual((champion.version, champion.aliases), (2, ["champion", "staging"]))
        runlog.delete_alias("prices", "staging")
        self.assertIsNone(runlog.get_model_version_by_alias("prices", "staging"))
        runlog.delete_model_version("prices", 2)
        self.assertIsNone(runlog.get_model_version_by_alias("prices", "champion"))
        self.assertEqual(runlog.get_model_version("prices", "latest").version, 3)
        self.assertEqual(runlog.register_model(logged, "prices").version, 4, "numbers are never reused")

    def test_rule_breaks_raise_and_write_nothing(self):
        _, logged = self.logged_model()
        runlog.register_model(logged, "prices")
        before = registry_events(self.store)
        with self.assertRaisesRegex(ValueError, 'alias "champion" cannot point at version 5 of "prices"'):
            runlog.set_alias("prices", "champion", 5)
        with self.assertRaisesRegex(ValueError, '"prices" has no alias "staging"'):
            runlog.delete_alias("prices", "staging")
        with self.assertRaisesRegex(ValueError, "version 9 of \"prices\" does not exist"):
            runlog.delete_model_version("prices", 9)
        for alias in ("latest", "v2", "has space", "", None):
            with self.assertRaises(ValueError):
                runlog.set_alias("prices", alias, 1)
        for name in ("", "a/b", "a@b", "tab\there", None):
            with self.assertRaises(ValueError):
                runlog.register_model(logged, name)
        for version in (0, -1, 1.5, True, "one"):
            with self.assertRaises(ValueError):
                runlog.set_alias("prices", "ok", version)
        self.assertEqual(registry_events(self.store), before)

    def test_only_a_logged_model_folder_can_be_registered(self):
        run, _ = self.logged_model()
        for uri in ("runs:/%s/missing" % run.id, "runs:/nosuchrun/model"):
            with self.assertRaises(runlog.ModelNotFoundError):
                runlog.register_model(uri, "prices")
        for uri in ("runs:/%s/../../x" % run.id, "runs:/%s/" % run.id, "models:/prices/1", "s3://x", "runs:/../x/y"):
            with self.assertRaises(ValueError):
                runlog.register_model(uri, "prices")
        self.assertFalse(os.path.exists(os.path.join(self.store, "registry", "events.jsonl")))

    def test_model_uris_resolve_to_the_run_folder(self):
        run, logged = self.logged_model()
        other_run, other = self.logged_model(name="net")
        runlog.register_model(logged, "prices")
        runlog.register_model(other, "prices")
        runlog.set_alias("prices", "champion", 1)
        folder = os.path.join(self.store, "runs", run.id, "artifacts", "model")
        self.assertEqual(str(runlog.resolve_model_uri("models:/prices@champion")), folder)
        self.assertEqual(str(runlog.resolve_model_uri("models:/prices/1")), folder)
        self.assertEqual(str(runlog.resolve_model_uri(logged.uri)), folder)
        latest = runlog.resolve_model_uri("models:/prices/latest")
        self.assertEqual(str(latest), os.path.join(self.store, "runs", other_run.id, "artifacts", "net"))
        self.assertTrue((latest / "MLmodel").is_file())
        for uri, message in (
            ("models:/nothing/1", "no registered model 'nothing'"),
            ("models:/prices@staging", "has no alias 'staging'"),
            ("models:/prices/7", "has no version '7'"),
        ):
            with self.assertRaisesRegex(runlog.ModelNotFoundError, message):
                runlog.resolve_model_uri(uri)
        for uri in ("models:/", "models:/prices", "models:/prices@", "file:///etc", "runs:/%s/../../.." % run.id):
            with self.assertRaises(ValueError):
                runlog.resolve_model_uri(uri)

    def test_set_alias_only_if_it_still_points_where_expected(self):
        _, logged = self.logged_model()
        for _ in range(2):
            runlog.register_model(logged, "prices")
        runlog.set_alias("prices", "champion", 1, current=None)
        before = registry_events(self.store)
        with self.assertRaisesRegex(runlog.AliasMovedError, "'champion' of 'prices' points at version 1, not no version"):
            runlog.set_alias("prices", "champion", 2, current=None)
        with self.assertRaisesRegex(runlog.AliasMovedError, "points at version 1, not version 2"):
            runlog.set_alias("prices", "champion", 2, current=2)
        self.assertEqual(registry_events(self.store), before)
        runlog.set_alias("prices", "champion", 2, current=1)
        self.assertEqual(runlog.get_model_version_by_alias("prices", "champion").version, 2)

    def test_processes_promoting_at_once_leave_the_best_as_champion(self):
        _, logged = self.logged_model()
        script = (
            "import runlog, sys, time\n"
            "score = float(sys.argv[2])\n"
            "mine = runlog.register_model(sys.argv[1], 'prices', tags={'score': score})\n"
            "while True:\n"
            "    champion = runlog.get_model_version_by_alias('prices', 'champion')\n"
            "    if champion and float(champion.tags['score']) <= score:\n"
            "        break\n"
            "    time.sleep(0.01)  # widen the window between reading and setting\n"
            "    try:\n"
            "        runlog.set_alias('prices', 'champion', mine.version, current=champion and champion.version)\n"
            "        break\n"
            "    except runlog.AliasMovedError:\n"
            "        pass\n"
        )
        env = dict(os.environ, PYTHONPATH=support.CLIENT, RUNLOG_DIR=self.store)
        import subprocess

        scores = [5, 3, 8, 1, 4, 2]
        processes = [subprocess.Popen([sys.executable, "-c", script, logged.uri, str(score)], env=env)
                     for score in scores]
        self.assertEqual([process.wait(timeout=60) for process in processes], [0] * len(scores))
        champion = runlog.get_model_version_by_alias("prices", "champion")
        self.assertEqual(champion.tags["score"], "1.0")

    def test_a_line_cut_short_by_a_crash_is_not_glued_to_the_next(self):
        _, logged = self.logged_model()
        runlog.register_model(logged, "prices")
        with open(os.path.join(self.store, "registry", "events.jsonl"), "ab") as handle:
            handle.write(b'{"t":"registry","ts":1,"action":"create_ver')
        self.assertEqual(runlog.register_model(logged, "prices").version, 2)
        state = runlog._registry.read_state(self.store)
        self.assertEqual(sorted(state.models["prices"].versions), [1, 2])
        self.assertEqual(state.rejected, [(2, "not valid JSON")])

    def test_concurrent_registrations_from_processes_get_distinct_versions(self):
        _, logged = self.logged_model()
        script = (
            "import runlog, sys\n"
            "for _ in range(10):\n"
            "    print(runlog.register_model(sys.argv[1], 'prices').version, flush=True)\n"
        )
        path = os.path.join(self.tmp, "register.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(script)
        env = dict(os.environ, PYTHONPATH=support.CLIENT, RUNLOG_DIR=self.store)
        import subprocess

        processes = [subprocess.Popen([sys.executable, path, logged.uri], env=env, stdout=subprocess.PIPE)
                     for _ in range(4)]
        numbers = []
        for process in processes:
            out, _ = process.communicate(timeout=60)
            self.assertEqual(process.returncode, 0)
            numbers += [int(line) for line in out.split()]
        self.assertEqual(sorted(numbers), list(range(1, 41)))
        events = registry_events(self.store)
        self.assertEqual([e["version"] for e in events], list(range(1, 41)), "journal order is version order")


class MirrorTest(unittest.TestCase):
    """The rules of src/store/ingest.ts, line by line (registryMirror.test.ts runs the store on these)."""

    def derive(self, *lines):
        return _registry_state.derive(("\n".join(lines) + "\n").encode("utf-8"))

    def test_what_javascript_reads_alike(self):
        state = self.derive(
            '{"t":"registry","ts":1,"action":"create_version","model":"m","run_id":"r","source":"s","version":1.0}',
            '{"t":"registry","ts":NaN,"action":"create_model","model":"x"}',
            '{"t":"registry","ts":1e400,"action":"create_model","model":"y"}',
            '{"t":"registry","ts":1,"action":"set_alias","model":"m","alias":"a","version":true}',
            '{"t":"registry","ts":1,"action":"create_version","model":"m","run_id":"r","source":"s","version":5}',
            '{"t":"registry","ts":1,"action":"create_version","model":"m","run_id":"","source":"s"}',
            '   ',
            '{"t":"registry","ts":1,"action":"create_version","model":"m","run_id":"r","source":"s","tags":[]}',
        )
        self.assertEqual(sorted(state.models), ["m"])
        self.assertEqual(sorted(state.models["m"].versions), [1])
        self.assertEqual([line for line, _ in state.rejected], [2, 3, 4, 5, 6, 8])

    def test_a_refused_version_does_not_create_its_model(self):
        state = self.derive('{"t":"registry","ts":1,"action":"create_version","model":"m","run_id":"r","source":"s","version":2}')
        self.assertEqual(state.models, {})


if __name__ == "__main__":
    unittest.main()
