// The test driver: code-server hands its environment to the extension host, so this extension
// finds the suite through RUNLOG_TEST_ENTRY, runs it the way @vscode/test-electron would (calling
// its exported run()), and writes the outcome to RUNLOG_TEST_RESULT for the runner to read.
'use strict';
const fs = require('node:fs');

exports.activate = function activate() {
  const entry = process.env.RUNLOG_TEST_ENTRY;
  const resultFile = process.env.RUNLOG_TEST_RESULT;
  if (!entry || !resultFile) return;
  const write = (result) =>
    fs.writeFileSync(`${resultFile}.tmp`, JSON.stringify(result)) || fs.renameSync(`${resultFile}.tmp`, resultFile);
  Promise.resolve()
    .then(() => require(entry).run())
    .then(
      (stats) => write({ ok: true, stats }),
      (error) => write({ ok: false, stats: error && error.stats, error: String((error && error.stack) || error) }),
    );
};

exports.deactivate = function deactivate() {};
