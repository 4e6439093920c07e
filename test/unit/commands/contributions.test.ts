// package.json's `contributes` against the commands Runlog registers (src/app/commands.ts) and the
// context values its trees set (src/views/contextValues.ts, runContextValue): a menu item that names
// a missing command, or shows a run command on runs it refuses, fails here rather than in a user's
// hands.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandId, Declaration } from '../../../src/app/commands';
import { COMMANDS } from '../../../src/app/commands';
import { fits } from '../../../src/commands/runTargets';
import { runContextValue } from '../../../src/runs/runPresentation';
import type { RunStatus } from '../../../src/store/events';
import type { RunRecord } from '../../../src/store/types';
import {
  EXPERIMENT_ITEM,
  LOGGED_MODEL_ITEM,
  MODEL_ITEM,
  REMOTE_EXPERIMENT_ITEM,
  REMOTE_RUN_ITEM,
  SERVER_ITEM,
  TRASH_ITEM,
  UNREGISTERED_ITEM,
  groupItem,
  modelVersionItem,
} from '../../../src/views/contextValues';
import { runRecord } from '../../support/runFixtures';

interface MenuItem {
  readonly command: string;
  readonly when?: string;
  readonly group?: string;
}

interface Manifest {
  readonly contributes: {
    readonly commands: readonly { command: string; title: string; enablement?: string }[];
    readonly menus: Readonly<Record<string, readonly MenuItem[]>>;
    readonly keybindings: readonly MenuItem[];
    readonly views: Readonly<Record<string, readonly { id: string }[]>>;
    readonly viewsWelcome: readonly { view: string; contents: string; when?: string }[];
  };
}

// The compiled test runs from out/test/unit/commands: package.json is four folders up.
const manifest = JSON.parse(readFileSync(join(__dirname, '../../../../package.json'), 'utf8')) as Manifest;
const { contributes } = manifest;
const declared = Object.entries(COMMANDS) as [CommandId, Declaration][];
const contributed = new Set(contributes.commands.map((c) => c.command));
const views = new Set(Object.values(contributes.views).flatMap((list) => list.map((v) => v.id)));

const STATUSES: readonly RunStatus[] = ['RUNNING', 'QUEUED', 'FINISHED', 'FAILED', 'KILLED', 'INTERRUPTED'];
/** A run in every state the Runs view tells apart, with the context value its item gets. */
const RUN_ITEMS: readonly { run: RunRecord; value: string }[] = STATUSES.flatMap((status) =>
  [false, true].flatMap((pinned) =>
    [false, true].map((deleted) => {
      const run = runRecord({ status, pinned, deleted });
      return { run, value: runContextValue(run) };
    }),
  ),
);
/** Every context value each view sets on its items. */
/** A tracking server's items: their menus' commands take the clicked node itself (src/views/serverTree.ts). */
const SERVER_ITEMS: readonly string[] = [SERVER_ITEM, REMOTE_EXPERIMENT_ITEM, REMOTE_RUN_ITEM];

const CONTEXT_VALUES: Readonly<Record<string, readonly string[]>> = {
  'runlog.runs': [
    EXPERIMENT_ITEM,
    TRASH_ITEM,
    ...(['branch', 'commit', 'status'] as const).map(groupItem),
    ...RUN_ITEMS.map((item) => item.value),
    ...SERVER_ITEMS,
  ],
  'runlog.models': [MODEL_ITEM, modelVersionItem(false), modelVersionItem(true), UNREGISTERED_ITEM, LOGGED_MODEL_ITEM],
};

/** A `when` clause read as the conjunction Runlog's menus use: `view ==`, `viewItem ==` or `=~`, and others. */
function parseWhen(when: string | undefined): { view?: string; item?: (value: string) => boolean; rest: string[] } {
  const parsed: { view?: string; item?: (value: string) => boolean; rest: string[] } = { rest: [] };
  if (when === undefined) return parsed;
  assert.ok(!when.includes('||'), `"${when}": an "or" is more than this test reads`);
  for (const term of when.split('&&').map((t) => t.trim())) {
    const view = /^(?:view|focusedView) == (\S+)$/.exec(term);
    const pattern = /^viewItem =~ \/(.*)\/([a-z]*)$/.exec(term);
    const equal = /^viewItem == (\S+)$/.exec(term);
    if (view) parsed.view = view[1];
    else if (pattern) {
      const regex = new RegExp(pattern[1] ?? '', pattern[2]);
      parsed.item = (value) => regex.test(value);
    } else if (equal) parsed.item = (value) => value === equal[1];
    else parsed.rest.push(term);
  }
  return parsed;
}

const allMenuItems = (): [string, MenuItem][] =>
  Object.entries(contributes.menus).flatMap(([menu, items]) => items.map((item): [string, MenuItem] => [menu, item]));

describe("package.json's contributions and the registered commands", () => {
  it('contributes every registered command except the internal ones, and no other', () => {
    const expected = declared.filter(([, d]) => d.kind !== 'internal').map(([id]) => id);
    assert.deepEqual([...contributed].sort(), expected.sort());
    assert.equal(contributed.size, contributes.commands.length, 'each command is contributed once');
  });

  it('hides from the Command Palette exactly the commands that need arguments', () => {
    const hidden = (contributes.menus['commandPalette'] ?? []).filter((item) => item.when === 'false');
    assert.deepEqual(
      hidden.map((item) => item.command).sort(),
      declared
        .filter(([, d]) => d.kind === 'arguments')
        .map(([id]) => id)
        .sort(),
    );
  });

  it('names only contributed commands and views in menus, key bindings and welcome links', () => {
    for (const [menu, item] of [
      ...allMenuItems(),
      ...contributes.keybindings.map((k): [string, MenuItem] => ['keybindings', k]),
    ]) {
      assert.ok(contributed.has(item.command), `${menu}: ${item.command} is contributed`);
      const { view } = parseWhen(item.when);
      if (view !== undefined) assert.ok(views.has(view), `${menu}: ${item.command} names view ${view}, which exists`);
    }
    for (const welcome of contributes.viewsWelcome) {
      assert.ok(views.has(welcome.view), `welcome content of ${welcome.view}`);
      for (const [, id] of welcome.contents.matchAll(/\(command:([\w.]+)\)/g)) {
        assert.ok(contributed.has(id ?? ''), `welcome content of ${welcome.view} links ${id}, which is contributed`);
      }
    }
  });

  it('shows each tree item menu on items its view sets, in that view, with a command made for them', () => {
    for (const item of contributes.menus['view/item/context'] ?? []) {
      const { view, item: matches } = parseWhen(item.when);
      const where = `view/item/context ${item.command} (${item.when ?? ''})`;
      assert.ok(view !== undefined && matches !== undefined, `${where} names its view and its items`);
      const values = (CONTEXT_VALUES[view] ?? []).filter(matches);
      assert.ok(values.length > 0, `${where} matches an item the view sets`);
      const kind = COMMANDS[item.command as CommandId].kind;
      if (values.every((value) => SERVER_ITEMS.includes(value))) {
        assert.ok(kind === 'palette' || kind === 'arguments', `${where}: a command that takes the clicked node`);
        continue;
      }
      assert.ok(!values.some((value) => SERVER_ITEMS.includes(value)), `${where}: not on local and remote items both`);
      // A logged model is no run or version: its command takes the clicked item, or asks from the palette.
      const wanted =
        view === 'runlog.runs' ? 'runs' : values.every((v) => v === LOGGED_MODEL_ITEM) ? 'palette' : 'versions';
      assert.equal(kind, wanted, `${where}: a ${wanted} command, which takes the clicked item and the selection`);
    }
  });

  it('shows a run command on runs only where its pick would offer them (statuses, the trash, pinned)', () => {
    for (const item of contributes.menus['view/item/context'] ?? []) {
      const { view, item: matches } = parseWhen(item.when);
      const options = COMMANDS[item.command as CommandId].runs;
      if (view !== 'runlog.runs' || !matches || !options) continue;
      for (const { run, value } of RUN_ITEMS.filter((i) => matches(i.value))) {
        assert.ok(fits(run, options), `${item.command} is on ${value} items, which it refuses from the palette`);
      }
    }
  });

  it('requires a trusted workspace for the commands that run code, where they are offered', () => {
    const trusted = contributes.commands.filter((c) => c.enablement === 'isWorkspaceTrusted').map((c) => c.command);
    for (const [menu, item] of allMenuItems()) {
      if (menu !== 'editor/title/run' || !trusted.includes(item.command)) continue;
      assert.ok(parseWhen(item.when).rest.includes('isWorkspaceTrusted'), `${menu}: ${item.command} needs trust`);
    }
  });
});
