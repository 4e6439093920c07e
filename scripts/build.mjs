// One esbuild script for every entry point: the extension host, each webview, and the tests.
//   node scripts/build.mjs               development build of the extension and webviews
//   node scripts/build.mjs --production  minified, no source maps (what `npm run package` ships)
//   node scripts/build.mjs --tests       also transpile src/, shared/ and test/ to out/ for mocha
//   node scripts/build.mjs --tests-only [--out DIR]  only the transpile for mocha, into DIR (default out)
//   node scripts/build.mjs --watch       rebuild on change
import * as esbuild from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const testsOnly = args.has('--tests-only');
const tests = args.has('--tests') || testsOnly;
const outIndex = process.argv.indexOf('--out');
const outDir = join(root, outIndex === -1 ? 'out' : process.argv[outIndex + 1]);

async function listFiles(dir, predicate) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listFiles(path, predicate)));
    else if (predicate(path)) found.push(path);
  }
  return found;
}

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  target: 'es2022',
};

/** A webview is a folder `webview/<name>/` with a `main.ts`; it becomes `dist/webview/<name>.js`. */
async function webviewEntries() {
  const dir = join(root, 'webview');
  const entries = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(join(dir, entry.name, 'main.ts'))) {
      entries[entry.name] = join(dir, entry.name, 'main.ts');
    }
  }
  return entries;
}

async function configs() {
  const list = testsOnly
    ? []
    : [
        {
          ...common,
          entryPoints: {
            extension: join(root, 'src/extension.ts'),
            storeWorker: join(root, 'src/store/storeWorker.ts'),
          },
          outdir: join(root, 'dist'),
          platform: 'node',
          format: 'cjs',
          external: ['vscode'],
        },
      ];
  if (!testsOnly) {
    // The package's bin (`runlog`, src/cli/): plain Node, no vscode, one file runnable as a command.
    list.push({
      ...common,
      entryPoints: { cli: join(root, 'src/cli/main.ts') },
      outdir: join(root, 'dist'),
      platform: 'node',
      format: 'cjs',
      banner: { js: '#!/usr/bin/env node' },
    });
  }
  const webviews = testsOnly ? {} : await webviewEntries();
  if (Object.keys(webviews).length > 0) {
    list.push({
      ...common,
      entryPoints: webviews,
      outdir: join(root, 'dist/webview'),
      platform: 'browser',
      format: 'iife',
    });
  }
  if (tests) {
    // Tests run file by file under mocha: transpile without bundling so each module keeps its path.
    const sources = (
      await Promise.all(
        ['src', 'shared', 'test', 'bench'].map((d) =>
          listFiles(join(root, d), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts')),
        ),
      )
    ).flat();
    list.push({
      entryPoints: sources,
      outbase: root,
      outdir: outDir,
      bundle: false,
      platform: 'node',
      format: 'cjs',
      sourcemap: 'inline',
      target: 'es2022',
      logLevel: 'warning',
    });
  }
  return list;
}

async function copyAssets() {
  await mkdir(join(root, 'dist'), { recursive: true });
  await copyFile(join(root, 'node_modules/sql.js/dist/sql-wasm.wasm'), join(root, 'dist/sql-wasm.wasm'));
}

if (!testsOnly) await rm(join(root, 'dist'), { recursive: true, force: true });
if (tests) await rm(outDir, { recursive: true, force: true });
const all = await configs();
if (watch) {
  for (const config of all) await (await esbuild.context(config)).watch();
  await copyAssets();
  console.log('watching for changes…');
} else {
  await Promise.all(all.map((config) => esbuild.build(config)));
  if (!testsOnly) await copyAssets();
  console.log(
    `built ${all.length} bundle group(s) into ${relative(process.cwd(), join(root, 'dist')) || 'dist'}${tests ? ' and out' : ''}`,
  );
}
