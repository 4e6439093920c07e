/**
 * `models:/` URIs read the way the Python client reads them (`runlog._registry.locate`):
 * `models:/name@alias`, `models:/name/3`, `models:/name/latest` (the newest live version). The
 * registry itself comes from the store (`registeredModels`), so a URI means here what it means in
 * the Models view.
 */
import type { ModelVersion, RegisteredModel } from '../store/types';
import { CliError, EXIT, missing } from './errors';

export type ModelSelector =
  | { readonly kind: 'alias'; readonly alias: string }
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'latest' };

export interface ModelUri {
  readonly name: string;
  readonly selector: ModelSelector;
}

export interface ResolvedVersion {
  readonly model: RegisteredModel;
  readonly version: ModelVersion;
  readonly uri: string;
}

export const isModelUri = (text: string): boolean => text.startsWith('models:/');

/** Reads a `models:/` URI; a usage error (exit 2) for one of another shape. */
export function parseModelUri(text: string): ModelUri {
  const rest = text.slice('models:/'.length);
  const shape = new CliError(
    `not a model URI of the form models:/<name>/<version|latest> or models:/<name>@<alias>: "${text}"`,
    EXIT.usage,
  );
  if (!isModelUri(text)) throw shape;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const name = rest.slice(0, at);
    const alias = rest.slice(at + 1);
    if (!name || !alias) throw shape;
    return { name, selector: { kind: 'alias', alias } };
  }
  const slash = rest.lastIndexOf('/');
  const name = rest.slice(0, slash);
  const selector = rest.slice(slash + 1);
  if (slash === -1 || !name || !selector) throw shape;
  if (selector.toLowerCase() === 'latest') return { name, selector: { kind: 'latest' } };
  if (!/^\d+$/.test(selector) || Number(selector) < 1) throw shape;
  return { name, selector: { kind: 'version', version: Number(selector) } };
}

/** The version a URI names, or "missing" (exit 3) with what is there instead. */
export function resolveModelUri(models: readonly RegisteredModel[], text: string): ResolvedVersion {
  const uri = parseModelUri(text);
  const model = models.find((m) => m.name === uri.name);
  if (!model) {
    const names = models.map((m) => m.name);
    throw missing(
      `no registered model "${uri.name}"${names.length > 0 ? ` (the registry has ${names.map((n) => `"${n}"`).join(', ')})` : ' (the registry is empty)'}`,
    );
  }
  const { selector } = uri;
  let version: ModelVersion | undefined;
  if (selector.kind === 'alias') {
    version = model.versions.find((v) => v.aliases.includes(selector.alias));
    if (!version) {
      const aliases = [...new Set(model.versions.flatMap((v) => v.aliases))].sort();
      throw missing(
        `registered model "${model.name}" has no alias "${selector.alias}"${aliases.length > 0 ? ` (it has ${aliases.map((a) => `@${a}`).join(', ')})` : ''}`,
      );
    }
  } else if (selector.kind === 'latest') {
    version = model.versions[0];
    if (!version) throw missing(`registered model "${model.name}" has no versions`);
  } else {
    version = model.versions.find((v) => v.version === selector.version);
    if (!version) throw missing(`registered model "${model.name}" has no version ${selector.version}`);
  }
  return { model, version, uri: text };
}
