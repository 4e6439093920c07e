import type { RunChooser, VersionChooser } from '../commands/runTargets';
import { onRuns, onVersions } from '../commands/runTargets';
import type { App, Disposable } from './app';
import type { CommandId, Declaration, RunlogCommands } from './commands';
import { COMMANDS } from './commands';

/** Where run and model-version commands called without arguments find what they act on. */
export interface CommandTargets {
  readonly runs: RunChooser;
  readonly versions: VersionChooser;
}

const SHOW_LOG = 'Show Log';

/** VS Code passes a command whatever its caller passed; each handler checks what it relies on. */
type Untyped = (...args: unknown[]) => unknown;

/** Each contributed command's title without its ellipsis (`Rename Run`), for error messages. */
export function commandTitles(packageJSON: unknown): ReadonlyMap<string, string> {
  const contributed = (packageJSON as { contributes?: { commands?: { command: string; title: string }[] } }).contributes
    ?.commands;
  return new Map((contributed ?? []).map(({ command, title }) => [command, title.replace(/…$/, '')]));
}

/**
 * A command handler that reports its failure the same way for every command: the error (with its
 * stack) in the output channel, and a notification that names the command and offers the log.
 * The command then resolves with undefined, as VS Code would not show a rejection's message.
 */
export function reportingErrors(app: App, id: string, title: string, handler: Untyped): Untyped {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      app.log.error(`${title} (${id}) failed: ${error instanceof Error && error.stack ? error.stack : message}`);
      void app.showErrorMessage(`Runlog: ${title} failed: ${message}`, SHOW_LOG).then((choice) => {
        if (choice === SHOW_LOG) app.log.show();
      });
      return undefined;
    }
  };
}

/** The handler as VS Code calls it: a run or version command first finds its targets when called bare. */
function asRegistered(declaration: Declaration, handler: Untyped, targets: CommandTargets): Untyped {
  if (declaration.kind === 'runs' && declaration.runs) return onRuns(targets.runs, declaration.runs, handler);
  if (declaration.kind === 'versions' && declaration.versions) {
    return onVersions(targets.versions, declaration.versions, handler);
  }
  return handler;
}

/**
 * Registers every command of src/app/commands.ts, each through `reportingErrors`. `handlers` comes
 * from the surface modules (`...runCommands(…), ...views.commands(), …`); a handler for a command
 * that is not declared is a mistake this refuses (its command would never be registered).
 */
export function registerCommands(
  app: App,
  handlers: RunlogCommands,
  targets: CommandTargets,
  titles: ReadonlyMap<string, string>,
): Disposable[] {
  const undeclared = Object.keys(handlers).filter((id) => !(id in COMMANDS));
  if (undeclared.length > 0) throw new Error(`Commands not declared in src/app/commands.ts: ${undeclared.join(', ')}`);
  return (Object.entries(COMMANDS) as [CommandId, Declaration][]).map(([id, declaration]) =>
    app.registerCommand(
      id,
      reportingErrors(
        app,
        id,
        titles.get(id) ?? id,
        asRegistered(declaration, handlers[id] as unknown as Untyped, targets),
      ),
    ),
  );
}
