"""The environment event (interpreter, platform, packages, GPU) and a model's requirements."""

import json
import os
import platform
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_events, read_text, runlog  # noqa: E402
from runlog import _environment  # noqa: E402

FAKE_NVIDIA_SMI = r"""#!/bin/sh
# A stand-in for nvidia-smi: two GPUs, answering the queries Runlog makes.
case "$*" in
  *--query-gpu=index,name,driver_version,memory.total*)
    echo "0, NVIDIA A100-SXM4-40GB, 535.104.05, 40960"
    echo "1, NVIDIA A100-SXM4-40GB, 535.104.05, 40960" ;;
  *--query-gpu=*)
    echo "0, 87, 30000, 40960, 250.5, 400.00, 71"
    echo "1, [N/A], 1024, 40960, [N/A], 400.00, 40" ;;
  "")
    echo "| NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2     |" ;;
  *) exit 2 ;;
esac
"""


def fake_nvidia_smi(test, source=FAKE_NVIDIA_SMI):
    """Puts an executable ``nvidia-smi`` first on PATH for the rest of the test."""
    folder = os.path.join(test.tmp, "fake-bin")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "nvidia-smi")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(source)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = folder + os.pathsep + saved
    test.addCleanup(os.environ.__setitem__, "PATH", saved)


def no_nvidia_smi(test):
    """A PATH on which no nvidia-smi can be found (this machine may have a real one)."""
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join(
        folder for folder in saved.split(os.pathsep) if not os.path.exists(os.path.join(folder, "nvidia-smi"))
    )
    test.addCleanup(os.environ.__setitem__, "PATH", saved)


def fake_distribution(site, name, version, modules=(), requires=()):
    """A minimal installed distribution (a .dist-info folder) on a folder that goes on sys.path."""
    folder = os.path.join(site, "%s-%s.dist-info" % (name.replace("-", "_"), version))
    os.makedirs(folder)
    lines = ["Metadata-Version: 2.1", "Name: %s" % name, "Version: %s" % version]
    lines += ["Requires-Dist: %s" % requirement for requirement in requires]
    with open(os.path.join(folder, "METADATA"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n\nA long description that is not read.\nName: not-a-header\n")
    with open(os.path.join(folder, "top_level.txt"), "w", encoding="utf-8") as handle:
        handle.write("".join(module + "\n" for module in modules))
    with open(os.path.join(folder, "RECORD"), "w", encoding="utf-8") as handle:
        handle.write("".join("%s/__init__.py,,\n" % module for module in modules))


class EnvironmentEventTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        no_nvidia_smi(self)

    def test_a_new_run_records_its_interpreter_platform_and_packages(self):
        store = self.use_store()
        with runlog.start_run() as run:
            pass
        events = read_events(run.dir)
        [event] = of_type(events, "environment")
        self.assertEqual([e["t"] for e in events][:3], ["run_start", "tag", "environment"])
        self.assertEqual(event["python_version"], platform.python_version())
        self.assertEqual(event["python_implementation"], platform.python_implementation())
        self.assertEqual(event["executable"], sys.executable)
        self.assertEqual(event["system"], platform.system())
        self.assertEqual(event["platform"], platform.platform())
        self.assertNotIn("gpu", event)
        import importlib.metadata as metadata

        # Every distribution importlib.metadata knows is there, by its normalized name.
        expected = {}
        for distribution in metadata.distributions():
            name = distribution.metadata["Name"]
            if name:
                expected.setdefault(_environment.normalize(name), distribution.version)
        self.assertEqual(event["packages"], expected)
        self.assertEqual(list(event["packages"]), sorted(event["packages"]))
        self.assertTrue(os.path.isdir(store))

    def test_child_runs_leave_it_to_their_parent(self):
        self.use_store()
        with runlog.start_run() as parent:
            with runlog.start_run() as child:
                pass
        self.assertEqual(len(of_type(read_events(parent.dir), "environment")), 1)
        self.assertEqual(of_type(read_events(child.dir), "environment"), [])

    def test_a_joined_run_records_it_too(self):
        store = self.use_store()
        run_dir = os.path.join(store, "runs", "r-editor")
        os.makedirs(run_dir)
        with open(os.path.join(run_dir, "events.jsonl"), "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"t": "run_start", "ts": 1, "run_id": "r-editor", "name": "n", "experiment": "e"}) + "\n")
        os.environ["RUNLOG_RUN_ID"] = "r-editor"
        runlog.log_metric("loss", 1.0)
        runlog.end_run()
        self.assertEqual([e["t"] for e in read_events(run_dir)], ["run_start", "environment", "metric"])

    def test_a_store_an_older_editor_recorded_gets_none(self):
        # A Runlog window of journal format 1 would report the event as a journal problem.
        store = self.use_store()
        os.makedirs(store)
        with open(os.path.join(store, "format.json"), "w", encoding="utf-8") as handle:
            handle.write('{"journal_format": 1, "written_by": "Runlog 0.1.0"}\n')
        with self.captured_stderr() as err:
            with runlog.start_run() as old:
                pass
        self.assertEqual(err.getvalue(), "")
        self.assertEqual(of_type(read_events(old.dir), "environment"), [])
        support.reset_client()
        with open(os.path.join(store, "format.json"), "w", encoding="utf-8") as handle:
            handle.write('{"journal_format": 2, "written_by": "Runlog 0.2.0"}\n')
        with runlog.start_run() as new:
            pass
        self.assertEqual(len(of_type(read_events(new.dir), "environment")), 1)

    def test_gpus_are_read_from_nvidia_smi(self):
        fake_nvidia_smi(self)
        self.use_store()
        with runlog.start_run() as run:
            pass
        [event] = of_type(read_events(run.dir), "environment")
        self.assertEqual(
            event["gpu"],
            {
                "driver_version": "535.104.05",
                "cuda_version": "12.2",
                "devices": [
                    # nvidia-smi's 40960 MiB in MLflow's megabytes (10**6 bytes), as the system metrics count.
                    {"name": "NVIDIA A100-SXM4-40GB", "memory_total_megabytes": 42949.7},
                    {"name": "NVIDIA A100-SXM4-40GB", "memory_total_megabytes": 42949.7},
                ],
            },
        )

    def test_a_failing_or_hanging_nvidia_smi_is_no_gpu(self):
        fake_nvidia_smi(self, "#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
        self.assertNotIn("gpu", _environment.capture())
        _environment._captured = None
        saved = _environment.NVIDIA_SMI_TIMEOUT
        _environment.NVIDIA_SMI_TIMEOUT = 0.2
        self.addCleanup(setattr, _environment, "NVIDIA_SMI_TIMEOUT", saved)
        fake_nvidia_smi(self, "#!/bin/sh\nsleep 5\n")
        self.assertNotIn("gpu", _environment.capture())

    def test_it_is_read_once_per_process(self):
        self.use_store()
        with runlog.start_run() as first:
            pass
        with runlog.start_run() as second:
            pass
        [a] = of_type(read_events(first.dir), "environment")
        [b] = of_type(read_events(second.dir), "environment")
        self.assertEqual({k: v for k, v in a.items() if k != "ts"}, {k: v for k, v in b.items() if k != "ts"})


class RequirementsTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        no_nvidia_smi(self)
        self.site = os.path.join(self.tmp, "site")
        os.makedirs(self.site)
        fake_distribution(self.site, "Fake-Models", "1.4.0", ["fakemodels"], ["fake_linalg>=2", "fake-plot; extra == 'plots'"])
        fake_distribution(self.site, "fake_linalg", "2.1", ["fakelinalg"], ["fake-core ; python_version >= '3'"])
        fake_distribution(self.site, "fake-core", "0.9", ["fakecore"])
        fake_distribution(self.site, "fake-plot", "3.0", ["fakeplot"])
        fake_distribution(self.site, "runlog-client", "0.1.0", ["runlog"])
        sys.path.insert(0, self.site)
        self.addCleanup(sys.path.remove, self.site)

    def test_a_distribution_whose_egg_info_is_a_file_is_listed(self):
        # Debian installs some (python3-sympy, python3-jdcal) as a single .egg-info file of headers.
        with open(os.path.join(self.site, "Fake_Egg-1.0.egg-info"), "w", encoding="utf-8") as handle:
            handle.write("Metadata-Version: 1.2\nName: Fake_Egg\nVersion: 1.0\n\nA description.\n")
        packages = _environment.packages()
        self.assertEqual(packages.get("fake-egg"), "1.0")
        self.assertEqual(packages.get("fake-models"), "1.4.0")

    def test_the_modules_distributions_and_what_they_require_are_pinned(self):
        lines, unprovided = _environment.requirements(["fakemodels", "json", "sys", "my_local_code", "runlog"])
        self.assertEqual(lines, ["fake-core==0.9", "fake-linalg==2.1", "fake-models==1.4.0"])
        self.assertEqual(unprovided, ["my_local_code"])

    def test_a_model_folder_gets_requirements_txt_and_python_env_yaml(self):
        folder = os.path.join(self.tmp, "model")
        os.makedirs(folder)
        written = _environment.write_model_environment(folder, ["fakemodels", "my_local_code"], ["fake-plot"])
        self.assertEqual(written, ["requirements.txt", "python_env.yaml"])
        self.assertEqual(
            read_text(os.path.join(folder, "requirements.txt")),
            "fake-core==0.9\nfake-linalg==2.1\nfake-models==1.4.0\nfake-plot==3.0\n"
            "# modules the model uses that no installed distribution provides (ship them as code): my_local_code\n",
        )
        env = read_text(os.path.join(folder, "python_env.yaml"))
        self.assertTrue(env.startswith("python: %s\nbuild_dependencies:\n- pip" % platform.python_version()), env)
        self.assertTrue(env.endswith("dependencies:\n- -r requirements.txt\n"), env)

    def test_a_model_that_brought_its_own_keeps_them(self):
        folder = os.path.join(self.tmp, "model")
        os.makedirs(folder)
        with open(os.path.join(folder, "requirements.txt"), "w", encoding="utf-8") as handle:
            handle.write("mine==1\n")
        self.assertEqual(_environment.write_model_environment(folder, ["fakemodels"]), ["python_env.yaml"])
        self.assertEqual(read_text(os.path.join(folder, "requirements.txt")), "mine==1\n")

    def test_log_model_writes_them_from_the_pickle_it_logs(self):
        import pickle

        model_code = os.path.join(self.site, "fakemodels")
        os.makedirs(model_code)
        with open(os.path.join(model_code, "__init__.py"), "w", encoding="utf-8") as handle:
            handle.write("class Model:\n    pass\n")
        self.addCleanup(sys.modules.pop, "fakemodels", None)
        import fakemodels  # noqa: F401 - from the fake site folder

        with open(os.path.join(self.tmp, "model.pkl"), "wb") as handle:
            pickle.dump({"model": fakemodels.Model()}, handle)
        self.use_store()
        with runlog.start_run() as run:
            runlog.log_model(os.path.join(self.tmp, "model.pkl"))
        folder = os.path.join(run.dir, "artifacts", "model")
        self.assertEqual(sorted(os.listdir(folder)), ["MLmodel", "model.pkl", "python_env.yaml", "requirements.txt"])
        self.assertEqual(read_text(os.path.join(folder, "requirements.txt")),
                         "fake-core==0.9\nfake-linalg==2.1\nfake-models==1.4.0\n")
        [event] = of_type(read_events(run.dir), "model")
        self.assertEqual(
            sorted(f["path"] for f in event["files"]),
            ["model/MLmodel", "model/model.pkl", "model/python_env.yaml", "model/requirements.txt"],
        )
        self.assertEqual(type(runlog.load_model("runs:/%s/model" % run.id)["model"]).__name__, "Model")



class EnvironmentCommandTest(support.ClientTest):
    def test_python_m_runlog_environment_prints_the_events_fields(self):
        no_nvidia_smi(self)
        done = support.run_script("import runpy\nrunpy.run_module('runlog.environment', run_name='__main__')\n",
                                  self.tmp, {"PATH": os.environ["PATH"]})
        self.assertEqual(done.returncode, 0, done.stderr)
        printed = json.loads(done.stdout.decode())
        self.assertIsNone(support.environment_problem(printed))
        self.assertEqual(printed["python_version"], platform.python_version())
        self.assertEqual(printed["packages"], _environment.capture()["packages"])


if __name__ == "__main__":
    unittest.main()
