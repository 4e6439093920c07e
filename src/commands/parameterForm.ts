import * as vscode from 'vscode';
import type { ParamSpec } from '../params/paramSpec';
import { defaultText, splitWords, validateValue } from '../params/paramSpec';
import { planGrid, validateSweep } from '../params/sweep';

export interface FormResult {
  /** Each parameter's text as entered (a value or a sweep); parameters left empty are absent. */
  readonly values: Record<string, string>;
  readonly extraArgs: string[];
}

type Item = vscode.QuickPickItem & { readonly action: 'launch' | 'extra' | 'param'; readonly spec?: ParamSpec };

/**
 * "Run with parameters…": a list of the script's parameters, prefilled (defaults, or the values of
 * the last run), each edited in an input box that validates types and choices and accepts sweeps
 * (`0.1,0.01`, `1..5`); then an extra-arguments step. Resolves undefined when the user cancels.
 */
export async function showParameterForm(
  title: string,
  specs: readonly ParamSpec[],
  initial: Readonly<Record<string, string>>,
  initialExtra = '',
): Promise<FormResult | undefined> {
  const values: Record<string, string> = {};
  for (const spec of specs) values[spec.name] = initial[spec.name] ?? defaultText(spec);
  let extra = initialExtra;
  let active: string | undefined;
  for (;;) {
    const plan = planGrid(specs, values);
    const missing = specs.filter((s) => s.required && !values[s.name]?.trim()).map((s) => s.name);
    const problems = [...plan.problems, ...missing.map((name) => `${name} is required`)];
    const items: Item[] = [
      {
        action: 'launch',
        label: plan.count > 1 ? `$(run-all) Launch ${plan.count} runs` : '$(play) Launch',
        detail: problems.length > 0 ? `Fix first: ${problems.join('; ')}` : undefined,
        alwaysShow: true,
      },
      ...specs.map((spec): Item => ({
        action: 'param',
        spec,
        label: spec.name,
        description: values[spec.name] ? values[spec.name] : spec.required ? '(required)' : '(not set)',
        detail: [spec.type, spec.choices ? `one of ${spec.choices.join(', ')}` : '', spec.help ?? '']
          .filter(Boolean)
          .join(' · '),
      })),
      {
        action: 'extra',
        label: '$(terminal) Extra arguments…',
        description: extra || '(none)',
        alwaysShow: true,
      },
    ];
    const picked = await pick(title, items, active);
    if (!picked) return undefined;
    if (picked.action === 'launch') {
      if (problems.length > 0) {
        void vscode.window.showWarningMessage(`Runlog cannot launch yet: ${problems.join('; ')}`);
        continue;
      }
      const result: Record<string, string> = {};
      for (const [name, text] of Object.entries(values)) if (text.trim() !== '') result[name] = text.trim();
      return { values: result, extraArgs: splitWords(extra) };
    }
    if (picked.action === 'extra') {
      const text = await vscode.window.showInputBox({
        title: `${title}: extra arguments`,
        prompt: 'Arguments added after the parameters, as on a command line',
        value: extra,
      });
      if (text !== undefined) extra = text;
      active = undefined;
      continue;
    }
    const spec = picked.spec as ParamSpec;
    active = spec.name;
    const text = await vscode.window.showInputBox({
      title: `${title}: ${spec.name}`,
      prompt: [
        spec.help,
        spec.choices ? `One of ${spec.choices.join(', ')}.` : `A ${spec.type}.`,
        spec.type === 'int' || spec.type === 'float' ? 'A sweep: 0.1,0.01,0.001 or 1..5' : 'A sweep: a,b,c',
      ]
        .filter(Boolean)
        .join(' '),
      value: values[spec.name],
      validateInput: (input) =>
        input.trim() === ''
          ? undefined
          : (validateSweep(spec, input) ?? (input.includes(',') ? undefined : validateValue(spec, input))),
    });
    if (text !== undefined) values[spec.name] = text;
  }
}

function pick(title: string, items: readonly Item[], active: string | undefined): Promise<Item | undefined> {
  return new Promise((resolve) => {
    const quickPick = vscode.window.createQuickPick<Item>();
    quickPick.title = title;
    quickPick.placeholder = 'Pick a parameter to change it, then Launch';
    quickPick.items = items;
    quickPick.matchOnDetail = true;
    const current = items.find((i) => i.spec?.name === active);
    if (current) quickPick.activeItems = [current];
    let done = false;
    quickPick.onDidAccept(() => {
      done = true;
      resolve(quickPick.selectedItems[0]);
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      if (!done) resolve(undefined);
      quickPick.dispose();
    });
    quickPick.show();
  });
}
