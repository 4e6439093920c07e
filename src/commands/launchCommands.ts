import * as vscode from 'vscode';
import type { RunlogCommands } from '../app/commands';
import { installPythonClient } from './installPythonClient';
import type { LaunchMode, Launcher } from './launcher';
import { openDemoProject } from './openDemoProject';
import { scriptOf, startRun } from './startRun';

type LaunchCommands = Pick<
  RunlogCommands,
  | 'runlog.startRun'
  | 'runlog.runScript'
  | 'runlog.runWithParameters'
  | 'runlog.rerunLast'
  | 'runlog.runEntryPoint'
  | 'runlog.installPythonClient'
  | 'runlog.openDemoProject'
>;

/**
 * Starting runs: a training script (the editor's, the argument, or one picked) with its defaults,
 * the parameter form or the last values; an MLproject entry point (its code lenses pass it); and
 * what comes before a first run: the demo project, the Python client for terminal scripts.
 */
export function launchCommands(launcher: Launcher, context: vscode.ExtensionContext): LaunchCommands {
  const launchScript =
    (mode: LaunchMode) =>
    async (target?: vscode.Uri): Promise<string[]> => {
      const script = await scriptOf(target);
      return script ? launcher.launch(script, mode) : [];
    };
  return {
    'runlog.startRun': (script) => startRun(launcher, script),
    'runlog.runScript': launchScript('defaults'),
    'runlog.runWithParameters': launchScript('form'),
    'runlog.rerunLast': launchScript('last'),
    'runlog.runEntryPoint': (mlproject, name, mode) =>
      mlproject instanceof vscode.Uri && typeof name === 'string'
        ? launcher.launchEntryPoint(mlproject, name, mode === 'defaults' || mode === 'last' ? mode : 'form')
        : startRun(launcher),
    'runlog.installPythonClient': () => installPythonClient(launcher, context.extensionUri),
    'runlog.openDemoProject': () => openDemoProject(context.extensionUri, context.globalStorageUri),
  };
}
