"""Where runs go: RUNLOG_DIR, the nearest .runlog/, the git top level, the current folder."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import read_events, runlog  # noqa: E402


class StoreLocationTest(support.ClientTest):
    def test_runlog_dir_names_the_store(self):
        store = os.path.join(self.tmp, "elsewhere", "runs-store")
        os.environ["RUNLOG_DIR"] = store
        with runlog.start_run() as run:
            pass
        self.assertEqual(run.store, store)
        self.assertTrue(os.path.isfile(os.path.join(store, "runs", run.id, "events.jsonl")))
        self.assertEqual(support.read_text(os.path.join(store, ".gitignore")), "*\n")

    def test_the_nearest_ancestor_store_is_used(self):
        outer = os.path.join(self.tmp, ".runlog")
        inner = os.path.join(self.tmp, "project", ".runlog")
        os.makedirs(outer)
        os.makedirs(inner)
        work = os.path.join(self.tmp, "project", "src", "deep")
        os.makedirs(work)
        os.chdir(work)
        with runlog.start_run() as run:
            pass
        self.assertEqual(run.store, inner)
        self.assertFalse(os.path.exists(os.path.join(inner, ".gitignore")))  # found, not created
        os.chdir(os.path.join(self.tmp))
        with runlog.start_run() as other:
            pass
        self.assertEqual(other.store, outer)

    @unittest.skipUnless(support.has_git(), "git is not installed")
    def test_a_new_store_goes_to_the_git_top_level_with_a_gitignore(self):
        repo = os.path.join(self.tmp, "repo")
        os.makedirs(os.path.join(repo, "train", "scripts"))
        support.git(repo, "init", "-q")
        os.chdir(os.path.join(repo, "train", "scripts"))
        with runlog.start_run() as run:
            pass
        store = os.path.join(repo, ".runlog")
        self.assertEqual(run.store, store)
        self.assertEqual(support.read_text(os.path.join(store, ".gitignore")), "*\n")
        self.assertEqual(support.git(repo, "status", "--porcelain", "--untracked-files=all"), "")

    def test_without_git_a_new_store_goes_to_the_current_folder(self):
        self.addCleanup(os.environ.__setitem__, "PATH", os.environ.get("PATH", ""))
        os.environ["PATH"] = ""  # no git to ask
        with runlog.start_run() as run:
            pass
        self.assertEqual(run.store, os.path.join(self.tmp, ".runlog"))
        self.assertTrue(os.path.isfile(os.path.join(self.tmp, ".runlog", ".gitignore")))
        tags = {e["key"]: e["value"] for e in read_events(run.dir) if e["t"] == "tag"}
        self.assertEqual(tags["runlog.git"], "none")


class JournalFormatTest(support.ClientTest):
    """<store>/format.json (written by the editor): a newer format than the client's is said once."""

    def write_marker(self, store, text):
        os.makedirs(store, exist_ok=True)
        with open(os.path.join(store, "format.json"), "w", encoding="utf-8") as handle:
            handle.write(text)

    def test_a_newer_format_is_said_once_and_logging_goes_on(self):
        store = self.use_store()
        newer = runlog._version.JOURNAL_FORMAT + 1
        self.write_marker(store, '{"journal_format": %d, "written_by": "Runlog 9.0.0"}' % newer)
        with self.captured_stderr() as err:
            with runlog.start_run() as first:
                runlog.log_metric("loss", 1.0)
            with runlog.start_run() as second:
                runlog.log_metric("loss", 0.5)
        lines = [line for line in err.getvalue().splitlines() if "journal format" in line]
        self.assertEqual(len(lines), 1, err.getvalue())
        self.assertIn("journal format %d (Runlog 9.0.0), newer than this client's format %d (runlog %s)"
                      % (newer, runlog._version.JOURNAL_FORMAT, runlog.__version__), lines[0])
        for run in (first, second):
            self.assertEqual([e["value"] for e in read_events(run.dir) if e["t"] == "metric"],
                             [1.0] if run is first else [0.5])

    def test_the_same_or_no_or_an_unreadable_format_says_nothing(self):
        for text in ('{"journal_format": %d}' % runlog._version.JOURNAL_FORMAT, '{"journal_format": true}',
                     '{"journal_format": "9"}', "[9]", "{not json", None):
            with self.subTest(marker=text):
                store = os.path.join(self.tmp, "store-%d" % len(os.listdir(self.tmp)))
                os.environ["RUNLOG_DIR"] = store
                if text is not None:
                    self.write_marker(store, text)
                with self.captured_stderr() as err:
                    with runlog.start_run():
                        pass
                self.assertEqual(err.getvalue(), "")


if __name__ == "__main__":
    unittest.main()
