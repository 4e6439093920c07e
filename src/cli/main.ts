// Entry of the `runlog` command (bundled to dist/cli.js, the package's bin; Node 20 or later).
// Everything it needs is found relative to this file, in a clone (dist/ beside python/) and in an
// installed extension alike: sql-wasm.wasm beside the bundle, the Python client in ../python.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli } from './cli';
import { bundledWasm } from './cliStore';
import { colorFor } from './output';

function version(): string {
  for (const dir of [join(__dirname, '..'), join(__dirname, '../../..')]) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'runlog' && pkg.version) return `Runlog ${pkg.version}`;
    } catch {
      // Not here: the next place.
    }
  }
  return 'Runlog';
}

/** The folder holding the Python client's `runlog` package: `python/` beside `dist/` (or above `out/`). */
function clientPath(): string | undefined {
  let dir = __dirname;
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'python');
    if (existsSync(join(candidate, 'runlog', 'registry.py'))) return candidate;
  }
  return undefined;
}

/** A line on a terminal that each call replaces (cut to the terminal's width so it never wraps). */
function progressLine(stream: NodeJS.WriteStream): (line: string) => void {
  return (line) => {
    const width = Math.max(20, (stream.columns || 80) - 1);
    stream.write(`\r\x1b[K${line.slice(0, width)}`);
  };
}

if (require.main === module) {
  // `runlog runs | head -1`: the reader went away; that ends the command, quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const wasmFile = bundledWasm(__dirname);
  const client = clientPath();
  runCli(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    color: colorFor(process.stdout, process.env),
    ...(process.stderr.isTTY ? { progress: progressLine(process.stderr) } : {}),
    version: version(),
    ...(wasmFile ? { wasmFile } : {}),
    ...(client ? { clientPath: client } : {}),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`runlog: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 4;
    },
  );
}
