/**
 * Finds a training script's parameters in its Python source: argparse `add_argument` calls and
 * click decorators. The source is tokenized, never run, so values computed at run time are
 * reported as unknown (`defaultSource`) or skipped with a reason, never guessed.
 */
import type { SkippedCall } from './argparseParams';
import { discoverArgparse } from './argparseParams';
import { discoverClick } from './clickParams';
import type { ParamSpec } from './paramSpec';
import { ModuleConstants } from './pythonEval';
import { tokenize } from './pythonTokenizer';

export type { SkippedCall } from './argparseParams';

export interface PythonParams {
  /** Which library declares the parameters; `mixed` when both do. */
  readonly framework: 'argparse' | 'click' | 'mixed' | 'none';
  /** argparse parameters first, then click's, each in declaration order. */
  readonly specs: readonly ParamSpec[];
  /** Subcommand paths in declaration order (`'train'`, `'db init'`). */
  readonly subcommands: readonly string[];
  /** Declarations seen but not understood, e.g. option names built in a loop. */
  readonly skipped: readonly SkippedCall[];
}

export function discoverPythonParams(source: string): PythonParams {
  const tokens = tokenize(source);
  const src = { source, tokens };
  const constants = new ModuleConstants(src);
  const argparse = discoverArgparse(src, constants);
  const click = discoverClick(src, constants);
  const found = [argparse.specs.length + argparse.skipped.length > 0, click.specs.length + click.skipped.length > 0];
  const framework = found[0] && found[1] ? 'mixed' : found[0] ? 'argparse' : found[1] ? 'click' : 'none';
  return {
    framework,
    specs: [...argparse.specs, ...click.specs],
    subcommands: [...argparse.subcommands, ...click.subcommands],
    skipped: [...argparse.skipped, ...click.skipped].sort((a, b) => a.line - b.line || a.column - b.column),
  };
}
