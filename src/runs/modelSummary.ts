import type { LoggedModel } from '../store/types';

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Logged names are shown as they are, but cannot break a table row or a line, or become HTML if
 * the page is previewed (the editor shows the Markdown source).
 */
function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A logged model as a page people read: what it is (flavor, when, its URI), what it takes and
 * gives (the signature), and its files with their sizes and digests — the MLmodel manifest without
 * the YAML.
 */
export function modelSummaryMarkdown(
  run: { readonly id: string; readonly name: string },
  model: LoggedModel,
  registered: readonly { readonly name: string; readonly version: number; readonly aliases: readonly string[] }[],
): string {
  const lines = [
    `# Model ${text(model.name)} of run ${text(run.name)}`,
    '',
    `- URI: \`runs:/${run.id}/${model.name.replace(/`/g, '')}\``,
    `- flavor: ${text(model.flavor)}`,
    `- logged: ${new Date(model.created).toISOString()}`,
    `- model uuid: ${text(model.uuid)}`,
  ];
  if (registered.length > 0) {
    lines.push(
      `- registered as: ${registered
        .map((r) => `${text(r.name)} v${r.version}${r.aliases.map((a) => ` @${text(a)}`).join('')}`)
        .join(', ')}`,
    );
  } else {
    lines.push('- not registered (right-click the run: Register Model…)');
  }
  lines.push('', '## Signature', '');
  if (model.signature) {
    let pretty = model.signature;
    try {
      pretty = JSON.stringify(JSON.parse(model.signature), null, 2);
    } catch {
      // Not JSON: shown as logged.
    }
    lines.push('```json', pretty.replace(/```/g, "'''"), '```');
  } else {
    lines.push('None was logged (runlog.log_model(..., signature=...)).');
  }
  const total = model.files.reduce((sum, f) => sum + f.size, 0);
  lines.push(
    '',
    `## Files (${model.files.length}, ${formatBytes(total)})`,
    '',
    '| file | size | sha256 |',
    '| --- | ---: | --- |',
  );
  for (const file of model.files) {
    lines.push(
      `| ${text(file.path)} | ${formatBytes(file.size)} | \`${file.sha256.replace(/[^0-9a-f]/gi, '').slice(0, 16)}…\` |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
