// Runs the mocha tests of one folder inside the extension host. Each suite's index.ts exports
// `run()` in the shape @vscode/test-electron expects: it resolves when every test passed and rejects
// otherwise. The code-server runner's driver extension calls the same function. Output goes to the
// console and, when RUNLOG_TEST_LOG is set, to that file, because the extension host's console is
// not the runner's.
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export interface SuiteStats {
  readonly passes: number;
  readonly failures: number;
  /** The full titles of the tests that failed, for the summary at the end of `npm test`. */
  readonly failed: readonly string[];
  readonly vscodeVersion: string;
}

function emit(line: string): void {
  console.log(line);
  const file = process.env['RUNLOG_TEST_LOG'];
  if (file) appendFileSync(file, `${line}\n`);
}

class LineReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const { EVENT_SUITE_BEGIN, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;
    runner.on(EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.title) emit(suite.title);
    });
    runner.on(EVENT_TEST_PASS, (test: Mocha.Test) => emit(`  ✓ ${test.title} (${test.duration ?? 0} ms)`));
    runner.on(EVENT_TEST_PENDING, (test: Mocha.Test) => emit(`  - ${test.title} (skipped)`));
    runner.on(EVENT_TEST_FAIL, (test: Mocha.Test, error: Error) => {
      emit(`  ✗ ${test.title}`);
      emit(
        `    ${String(error.stack ?? error)
          .split('\n')
          .join('\n    ')}`,
      );
    });
  }
}

export function runSuite(directory: string): Promise<SuiteStats> {
  emit(`Runlog integration suite in VS Code ${vscode.version} (${vscode.env.appName}, ${vscode.env.appHost})`);
  // RUNLOG_TEST_GREP runs only the matching tests (a developer's shortcut; CI runs everything).
  const grep = process.env['RUNLOG_TEST_GREP'];
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, reporter: LineReporter, ...(grep ? { grep } : {}) });
  for (const file of readdirSync(directory).sort()) {
    if (file.endsWith('.test.js')) mocha.addFile(join(directory, file));
  }
  return new Promise((resolve, reject) => {
    const failed: string[] = [];
    const runner = mocha.run(() => void finish());
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test: Mocha.Test, error: Error) =>
      failed.push(`${test.fullTitle()}: ${String(error.message).split('\n')[0] ?? ''}`),
    );
    const finish = async (): Promise<void> => {
      // Leave what a user sees on an empty store for the runner to check: the Runlog container, open.
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.commands.executeCommand('workbench.action.closePanel');
      await vscode.commands.executeCommand('workbench.view.extension.runlog');
      const stats: SuiteStats = {
        passes: runner.stats?.passes ?? 0,
        failures: runner.stats?.failures ?? 0,
        failed,
        vscodeVersion: vscode.version,
      };
      emit(`${stats.passes} passed, ${stats.failures} failed (inside VS Code ${stats.vscodeVersion})`);
      const statsFile = process.env['RUNLOG_TEST_STATS'];
      if (statsFile) writeFileSync(statsFile, JSON.stringify(stats));
      if (stats.failures > 0)
        reject(Object.assign(new Error(`${stats.failures} integration test(s) failed`), { stats }));
      else resolve(stats);
    };
  });
}
