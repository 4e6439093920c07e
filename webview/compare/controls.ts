import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
} from '@vscode/webview-ui-toolkit';

// Only the toolkit components this panel uses, so the bundle carries no others.
provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeCheckbox(), vsCodeDropdown(), vsCodeOption());

/** A toolkit button with a text label (set with textContent). */
export function button(
  label: string,
  onClick: () => void,
  appearance: 'primary' | 'secondary' | 'icon' = 'secondary',
): HTMLElement {
  const node = document.createElement('vscode-button');
  node.setAttribute('appearance', appearance);
  node.textContent = label;
  node.addEventListener('click', onClick);
  return node;
}

export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void): HTMLElement {
  const node = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  node.textContent = label;
  node.checked = checked;
  node.addEventListener('change', () => onChange(node.checked));
  return node;
}

export type Dropdown = HTMLElement & { value: string };

export function dropdown(label: string, onChange: (value: string) => void): Dropdown {
  const node = document.createElement('vscode-dropdown') as Dropdown;
  node.setAttribute('aria-label', label);
  node.title = label;
  node.addEventListener('change', () => onChange(node.value));
  return node;
}

/**
 * Gives a dropdown these choices with `value` selected; leaves it alone when nothing changed, so a
 * live update does not close a list the user has open.
 */
export function setChoices(node: Dropdown, choices: readonly { value: string; label: string }[], value: string): void {
  const signature = JSON.stringify([choices, value]);
  if (node.dataset['choices'] === signature) return;
  node.dataset['choices'] = signature;
  node.replaceChildren(
    ...choices.map((choice) => {
      const option = document.createElement('vscode-option') as HTMLElement & { value: string };
      option.value = choice.value;
      option.textContent = choice.label;
      if (choice.value === value) option.setAttribute('selected', '');
      return option;
    }),
  );
  node.value = value;
}
