// Dead exports: a name exported by the extension, a webview or shared/ that no production module
// imports and its own module does not use either. Such code is only kept alive by its tests (or by
// nothing), so it either goes or becomes used. `npm test` runs this as a step; exit 1 lists them.
//   node scripts/deadExports.mjs
// The TypeScript checker resolves every import (named, namespace member, re-export, `import()`
// type) to the declaration it names, so renames and re-exports are followed.
import ts from 'typescript';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PRODUCTION = ['src', 'shared', 'webview'];
const isProduction = (file) => PRODUCTION.some((dir) => relative(root, file).split(sep)[0] === dir);
const inRepo = (file) => !relative(root, file).startsWith('..') && !file.includes(`${sep}node_modules${sep}`);

function program(tsconfig) {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, tsconfig),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  return ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, noEmit: true } });
}

/** The declaration a symbol finally names (through import aliases and re-exports). */
function target(checker, symbol) {
  let current = symbol;
  for (let i = 0; current && current.flags & ts.SymbolFlags.Alias && i < 20; i++)
    current = checker.getAliasedSymbol(current);
  return current;
}

// Keyed by where a name is declared: the host, webview and browser-test programs are separate
// TypeScript programs, so one declaration has a symbol object in each.
const keyOf = (declaration) => `${declaration.getSourceFile().fileName}:${declaration.pos}`;
const used = new Map(); // declaration key -> { production: boolean }
const exported = []; // { file, name, symbol }

function mark(key, production) {
  const entry = used.get(key) ?? { production: false };
  entry.production ||= production;
  used.set(key, entry);
}

for (const tsconfig of ['tsconfig.json', 'webview/tsconfig.json', 'test/browser/tsconfig.json']) {
  const prog = program(tsconfig);
  const checker = prog.getTypeChecker();
  for (const sf of prog.getSourceFiles()) {
    if (!inRepo(sf.fileName) || sf.isDeclarationFile) continue;
    const production = isProduction(sf.fileName);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (production && moduleSymbol && tsconfig !== 'test/browser/tsconfig.json') {
      for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
        const declared = target(checker, symbol);
        const declaration = declared?.declarations?.[0];
        // Only what this file declares itself; a re-export is checked where it is declared.
        if (declaration && declaration.getSourceFile() === sf)
          exported.push({ file: sf.fileName, name: symbol.name, key: keyOf(declaration) });
      }
    }
    const visit = (node) => {
      if (ts.isIdentifier(node)) {
        const symbol = checker.getSymbolAtLocation(node);
        if (symbol) {
          const declared = target(checker, symbol);
          const declaration = declared?.declarations?.[0];
          const isOwnName = declaration && (declaration.name === node || declaration === node.parent);
          if (declaration && !isOwnName) {
            // A use in its own module counts as production use (the export serves its tests only).
            const own = declaration?.getSourceFile() === sf;
            mark(keyOf(declaration), production || own);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
}

/** Entry points: what esbuild bundles and VS Code or Node loads by name. */
const ENTRY_EXPORTS = new Set(['activate', 'deactivate']);
const dead = exported.filter(({ name, key }) => !ENTRY_EXPORTS.has(name) && !used.get(key)?.production);
const unique = [...new Map(dead.map((d) => [`${d.file}:${d.name}`, d])).values()].sort((a, b) =>
  `${a.file}:${a.name}`.localeCompare(`${b.file}:${b.name}`),
);
if (unique.length === 0) {
  console.log(`✓ no dead exports (${exported.length} exports checked)`);
} else {
  console.error(`✗ ${unique.length} exported names are used by no production code (delete them, or use them):`);
  for (const { file, name } of unique) console.error(`  ${relative(root, file)}: ${name}`);
  process.exit(1);
}
