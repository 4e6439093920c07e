import * as vscode from 'vscode';
import type { ClientInstallOutcome } from '../runs/clientInstall';
import { ClientInstall, clientInstallCommandLine } from '../runs/clientInstall';
import { pickInterpreter } from '../runs/launchPlan';
import type { Launcher } from './launcher';

/** What `runlog.installPythonClient` resolves with (tests read it); undefined when nothing ran. */
export interface InstallPythonClientResult {
  readonly python: string;
  /** The command line shown in the terminal. */
  readonly commandLine: string;
  readonly outcome: ClientInstallOutcome;
  readonly exitCode: number | null;
}

export const INSTALL_TERMINAL_NAME = 'Runlog: Install Python Client';

/**
 * `Runlog: Install Python Client…`: pip-installs the extension's `python/` into the interpreter runs
 * use (the launcher's choice for the folder), in a terminal that shows the command and pip's output
 * and stays open afterwards. It runs code, so it needs a trusted workspace.
 */
export async function installPythonClient(
  launcher: Launcher,
  extensionUri: vscode.Uri,
): Promise<InstallPythonClientResult | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      'Runlog installs the Python client by running pip: trust this workspace first.',
    );
    return undefined;
  }
  const folders = vscode.workspace.workspaceFolders ?? [];
  const folder =
    folders.length > 1
      ? await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Install for the interpreter of which folder?' })
      : folders[0];
  if (folders.length > 1 && !folder) return undefined;
  const python = folder
    ? await launcher.interpreter(folder)
    : pickInterpreter(vscode.workspace.getConfiguration('runlog').get<string>('pythonPath'), process.platform);
  const spec = { python, clientPath: vscode.Uri.joinPath(extensionUri, 'python').fsPath };
  const commandLine = clientInstallCommandLine(spec, process.platform);
  const install = new ClientInstall(spec);
  const write = new vscode.EventEmitter<string>();
  const terminal = vscode.window.createTerminal({
    name: INSTALL_TERMINAL_NAME,
    pty: {
      onDidWrite: write.event,
      open: () => {
        write.fire(`Runlog: installing the Python client for ${python}\r\n\r\n> ${commandLine}\r\n`);
        install.start((text) => write.fire(text.replace(/\r?\n/g, '\r\n')));
      },
      // Closing the terminal stops pip; the result is then 'stopped'.
      close: () => install.stop(),
    },
  });
  terminal.show(true);
  const { outcome, exitCode } = await install.done;
  const code = exitCode !== null && exitCode !== 0 ? `, exit code ${exitCode}` : '';
  write.fire(`\r\nRunlog: ${SUMMARY[outcome]} (${commandLine}${code}).\r\n`);
  report(outcome, python);
  return { python, commandLine, outcome, exitCode };
}

const SUMMARY: Record<ClientInstallOutcome, string> = {
  installed: 'the Python client is installed',
  'externally-managed': 'this Python is managed by the system; use a virtual environment',
  'no-pip': 'this Python has no pip',
  'not-started': 'the interpreter could not be started',
  stopped: 'stopped',
  failed: 'pip could not install the Python client',
};

function report(outcome: ClientInstallOutcome, python: string): void {
  const setInterpreter = 'Set Python Interpreter';
  const offer = (promise: Thenable<string | undefined>): void => {
    void promise.then((choice) => {
      if (choice === setInterpreter) {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'runlog.pythonPath');
      }
    });
  };
  switch (outcome) {
    case 'installed':
      void vscode.window.showInformationMessage(
        `Runlog: the Python client is installed for ${python}. Scripts it runs can import runlog from any terminal.`,
      );
      return;
    case 'externally-managed':
      offer(
        vscode.window.showErrorMessage(
          `Runlog: ${python} is managed by your system's package manager (PEP 668), so pip will not install into it. ` +
            'Create a virtual environment (python3 -m venv .venv), select it for your runs, and install again.',
          setInterpreter,
        ),
      );
      return;
    case 'no-pip':
      offer(
        vscode.window.showErrorMessage(
          `Runlog: ${python} has no pip. Install pip for it, or select a virtual environment (they come with pip).`,
          setInterpreter,
        ),
      );
      return;
    case 'not-started':
      offer(
        vscode.window.showErrorMessage(
          `Runlog could not start ${python}: is the interpreter installed?`,
          setInterpreter,
        ),
      );
      return;
    case 'failed':
      void vscode.window.showErrorMessage('Runlog: pip could not install the Python client; the terminal shows why.');
      return;
    case 'stopped':
      return;
  }
}
