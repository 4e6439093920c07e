/**
 * The `runlog` command line: finds the command, reads its arguments, runs it, and turns every
 * failure into one message on stderr and an exit code (errors.ts), never a stack trace.
 */
import { FilterError } from '../store/filter';
import type { ParsedArgs } from './args';
import { commandHelp, didYouMean, flag, parseArgs } from './args';
import { checkCommand } from './checkCommand';
import { compareCommand } from './compareCommand';
import type { CliContext, Command } from './context';
import { CliError, EXIT } from './errors';
import { exportCommand, importCommand } from './mlrunsCommands';
import { modelsCommand } from './modelsCommand';
import { promoteCommand } from './promoteCommand';
import { runsCommand } from './runsCommand';
import { serveCommand } from './serveCommand';
import { showCommand } from './showCommand';
import { pullCommand, pushCommand } from './syncCommands';

export const COMMANDS: readonly Command[] = [
  runsCommand,
  showCommand,
  compareCommand,
  checkCommand,
  modelsCommand,
  promoteCommand,
  exportCommand,
  importCommand,
  pushCommand,
  pullCommand,
  serveCommand,
];

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  return [
    "runlog: Runlog's command line. Lists, compares, gates, promotes and syncs runs of a Runlog store, from a terminal or CI.",
    '',
    'usage: runlog COMMAND [options]      runlog COMMAND --help      runlog --version',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}  ${c.spec.summary}`),
    '',
    'The store is --dir STORE, else RUNLOG_DIR, else the nearest .runlog/ in the current folder or above it.',
    'It is read as a second editor window reads it: nothing is written, a running editor is not disturbed.',
    'A RUN is a run id, a unique id prefix (6+ characters), a run name (the newest with it), `latest`, or',
    'models:/name@alias, models:/name/N (the run that model version came from).',
    '',
    'Exit codes: 0 done (a gate holds); 1 a gate does not hold, or part of the work failed; 2 a usage error;',
    '3 a run, model, alias, metric or the store is missing; 4 anything else (an unreadable store, no Python).',
    'Output: table for a terminal (colors only on a terminal without NO_COLOR), json (docs/CLI.md), csv, md',
    '(for a pull request: a hidden marker line lets a CI step update its comment). Same input, same bytes.',
    '',
  ].join('\n');
}

/** A filter error as the Runs view shows it, with the filter under it and a caret at the position. */
function filterMessage(error: FilterError, text: string | undefined): string {
  if (text === undefined) return `bad filter: ${error.message}`;
  const before = text.slice(0, error.position).replace(/[\r\n\t]/g, ' ');
  const caret = `${' '.repeat(Array.from(before).length)}${'^'.repeat(Math.max(1, Math.min(error.length, 40)))}`;
  return `--filter: ${error.message}\n  ${text.replace(/[\r\n\t]/g, ' ')}\n  ${caret}`;
}

export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
    context.out(topic ? commandHelp(topic.spec) : mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    context.out(`${context.version}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    const near = didYouMean(
      name.replace(/^-+/, ''),
      COMMANDS.map((c) => c.spec.name),
    );
    context.err(
      `runlog: unknown ${name.startsWith('-') ? 'option' : 'command'} "${name}"${near ? ` (did you mean ${near}?)` : ''}\nrunlog --help lists the commands\n`,
    );
    return EXIT.usage;
  }
  let args: ParsedArgs | undefined;
  try {
    args = parseArgs(command.spec, rest);
    if (args.help) {
      context.out(commandHelp(command.spec));
      return EXIT.ok;
    }
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof CliError) {
      context.err(`runlog ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof FilterError) {
      context.err(`runlog ${name}: ${filterMessage(error, args ? flag(args, 'filter') : undefined)}\n`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    const stack = context.env['RUNLOG_DEBUG'] && error instanceof Error && error.stack ? `\n${error.stack}` : '';
    context.err(`runlog ${name}: ${message}${stack}\n`);
    return EXIT.error;
  }
}
