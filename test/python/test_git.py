"""The git state recorded for runs started outside the editor."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_events, runlog  # noqa: E402
from runlog import _api, _git  # noqa: E402


@unittest.skipUnless(support.has_git(), "git is not installed")
class GitStateTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        self.repo = os.path.join(self.tmp, "repo")
        os.makedirs(os.path.join(self.repo, "src"))
        support.git(self.repo, "init", "-q")
        support.git(self.repo, "checkout", "-q", "-b", "main")
        self.write("src/train.py", "print('v1')\n")
        self.write("data.bin", b"\x00\x01\x02")
        self.write(".gitignore", "ignored/\n")
        support.git(self.repo, "add", ".")
        support.git(self.repo, "commit", "-q", "-m", "first")
        self.commit = support.git(self.repo, "rev-parse", "HEAD").strip()
        os.chdir(os.path.join(self.repo, "src"))
        # The main script decides where git is asked (here: the repository's src/ folder).
        _api._main_script = lambda: os.path.join(self.repo, "src", "train.py")

    def write(self, relative, content):
        path = os.path.join(self.repo, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)

    def git_event(self):
        with runlog.start_run() as run:
            pass
        events = read_events(run.dir)
        self.assertEqual([e["key"] for e in of_type(events, "tag")], [])
        (git,) = of_type(events, "git")
        return run, git

    def test_a_clean_checkout(self):
        run, git = self.git_event()
        self.assertEqual(git["commit"], self.commit)
        self.assertEqual(git["branch"], "main")
        self.assertNotIn("remote", git)
        self.assertIs(git["dirty"], False)
        self.assertEqual(git["patch"], "")
        self.assertEqual(git["untracked"], [])
        self.assertEqual(run.store, os.path.join(self.repo, ".runlog"))

    def test_changes_and_untracked_files(self):
        self.write("src/train.py", "print('v2')\n")
        self.write("data.bin", b"\x00\x01\x02\x03\xff")
        self.write("src/new_model.py", "class Model: pass\n")
        self.write("notes/readme.md", "hello é\n")
        self.write("weights.pt", b"\x80binary")
        self.write("big.py", "x = 1\n" * 50000)  # over 256 KB: path only
        self.write("ignored/skip.py", "ignored\n")
        self.write("bad.py", b"\xff\xfe not utf-8")
        _, git = self.git_event()
        self.assertIs(git["dirty"], True)
        self.assertIn("diff --git a/src/train.py b/src/train.py", git["patch"])
        self.assertIn("+print('v2')", git["patch"])
        self.assertIn("GIT binary patch", git["patch"])  # --binary: binary changes stay applicable
        untracked = {entry["path"]: entry.get("content") for entry in git["untracked"]}
        self.assertEqual(
            untracked,
            {
                "src/new_model.py": "class Model: pass\n",
                "notes/readme.md": "hello é\n",
                "weights.pt": None,
                "big.py": None,
                "bad.py": None,
            },
        )

    def test_the_patch_applies_to_the_commit(self):
        self.write("src/train.py", "print('v3')\n")
        _, git = self.git_event()
        support.git(self.repo, "checkout", "-q", "--", ".")
        patch = os.path.join(self.tmp, "change.patch")
        with open(patch, "w", encoding="utf-8") as handle:
            handle.write(git["patch"])
        support.git(self.repo, "apply", patch)
        self.assertEqual(support.read_text(os.path.join(self.repo, "src", "train.py")), "print('v3')\n")

    def test_files_in_the_store_are_not_recorded(self):
        store = os.path.join(self.repo, "runs-here")  # a store git does not ignore
        os.environ["RUNLOG_DIR"] = store
        os.makedirs(store)
        self.write("runs-here/old/events.jsonl", "{}\n")
        self.write("keep.py", "1\n")
        _, git = self.git_event()
        self.assertEqual([entry["path"] for entry in git["untracked"]], ["keep.py"])

    def test_remote_credentials_are_removed_and_detached_head_has_no_branch(self):
        support.git(self.repo, "remote", "add", "origin", "https://user:s3cret@example.com/team/repo.git")
        support.git(self.repo, "checkout", "-q", "--detach")
        _, git = self.git_event()
        self.assertEqual(git["remote"], "https://example.com/team/repo.git")
        self.assertNotIn("branch", git)

    def test_a_repository_without_commits_has_no_git_state(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        support.git(empty, "init", "-q")
        self.assertIsNone(_git.capture(empty, []))


class NoGitTest(support.ClientTest):
    def test_outside_a_repository_the_run_is_tagged_without_git(self):
        self.use_store()
        with runlog.start_run() as run:
            pass
        events = read_events(run.dir)
        self.assertEqual(of_type(events, "git"), [])
        self.assertEqual([(e["key"], e["value"]) for e in of_type(events, "tag")], [("runlog.git", "none")])

    def test_credentials_in_other_remotes_are_kept_as_is(self):
        self.assertEqual(_git.strip_credentials("git@github.com:team/repo.git"), "git@github.com:team/repo.git")
        self.assertEqual(_git.strip_credentials("HTTPS://tok@host/x"), "HTTPS://host/x")


if __name__ == "__main__":
    unittest.main()
