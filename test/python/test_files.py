"""Artifacts (copied into the run folder) and inputs (dataset digests)."""

import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_events, runlog  # noqa: E402


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class FilesTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        self.use_store()

    def write(self, relative, data):
        path = os.path.join(self.tmp, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
        return path


class ArtifactTest(FilesTest):
    def test_a_file_is_copied_with_its_size_and_sha256(self):
        self.write("model.pt", b"weights" * 1000)
        with runlog.start_run() as run:
            runlog.log_artifact("model.pt")
            runlog.log_artifact(os.path.join(self.tmp, "model.pt"), artifact_path="checkpoints/best")
        artifacts = of_type(read_events(run.dir), "artifact")
        self.assertEqual([a["path"] for a in artifacts], ["model.pt", "checkpoints/best/model.pt"])
        for artifact in artifacts:
            self.assertEqual(artifact["size"], 7000)
            self.assertEqual(artifact["sha256"], sha256(b"weights" * 1000))
            copied = os.path.join(run.dir, "artifacts", *artifact["path"].split("/"))
            self.assertEqual(support.read_bytes(copied), b"weights" * 1000)

    def test_a_folder_is_copied_recursively_one_event_per_file(self):
        self.write("out/plots/loss.png", b"png")
        self.write("out/report.txt", b"")
        with runlog.start_run() as run:
            runlog.log_artifact("out", "results")
        artifacts = {a["path"]: (a["size"], a["sha256"]) for a in of_type(read_events(run.dir), "artifact")}
        self.assertEqual(
            artifacts,
            {"results/out/plots/loss.png": (3, sha256(b"png")), "results/out/report.txt": (0, sha256(b""))},
        )
        self.assertTrue(os.path.isfile(os.path.join(run.dir, "artifacts", "results", "out", "plots", "loss.png")))

    def test_logging_the_project_folder_skips_the_store(self):
        self.write("train.py", b"print(1)")
        with runlog.start_run() as run:
            runlog.log_artifact(self.tmp, "project")
        paths = [a["path"] for a in of_type(read_events(run.dir), "artifact")]
        base = os.path.basename(self.tmp)
        self.assertEqual(paths, ["project/%s/train.py" % base])

    def test_bad_arguments_raise(self):
        with runlog.start_run() as run:
            with self.assertRaises(FileNotFoundError):
                runlog.log_artifact("missing.txt")
            self.write("a.txt", b"a")
            with self.assertRaises(ValueError):
                runlog.log_artifact("a.txt", "../outside")
        self.assertEqual(of_type(read_events(run.dir), "artifact"), [])

    def test_a_file_that_cannot_be_copied_is_reported_not_raised(self):
        self.write("a.txt", b"a")
        with runlog.start_run() as run:
            blocker = os.path.join(run.dir, "artifacts")
            with open(blocker, "w") as handle:  # a file where the artifacts folder should be
                handle.write("x")
            with self.captured_stderr() as stderr:
                runlog.log_artifact("a.txt")
        self.assertIn("could not copy", stderr.getvalue())
        self.assertEqual(of_type(read_events(run.dir), "artifact"), [])


class InputTest(FilesTest):
    def test_a_file_digest_is_the_sha256_of_its_bytes(self):
        self.write("data/train.csv", b"a,b\n1,2\n")
        with runlog.start_run() as run:
            digest = runlog.log_input("data/train.csv")
            runlog.log_input("data/train.csv", name="training set")
        inputs = of_type(read_events(run.dir), "input")
        self.assertEqual(digest, sha256(b"a,b\n1,2\n"))
        self.assertEqual(
            [(i["name"], i["path"], i["digest"]) for i in inputs],
            [("train.csv", "data/train.csv", digest), ("training set", "data/train.csv", digest)],
        )

    def test_a_folder_digest_covers_relative_paths_and_contents(self):
        self.write("ds/b.txt", b"bee")
        self.write("ds/sub/a.txt", b"ay")
        expected = sha256(
            b"b.txt\0" + sha256(b"bee").encode() + b"\n" + b"sub/a.txt\0" + sha256(b"ay").encode() + b"\n"
        )
        with runlog.start_run() as run:
            first = runlog.log_input("ds")
            os.rename(os.path.join(self.tmp, "ds", "b.txt"), os.path.join(self.tmp, "ds", "c.txt"))
            renamed = runlog.log_input("ds/")
        self.assertEqual(first, expected)
        self.assertNotEqual(renamed, first)
        inputs = of_type(read_events(run.dir), "input")
        self.assertEqual([(i["name"], i["path"]) for i in inputs], [("ds", "ds"), ("ds", "ds/")])

    def test_a_missing_input_raises(self):
        with runlog.start_run():
            with self.assertRaises(FileNotFoundError):
                runlog.log_input("nope")


if __name__ == "__main__":
    unittest.main()
