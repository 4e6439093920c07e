import * as vscode from 'vscode';
import type { MetricGoal } from '../../shared/metricGoal';
import type { MetricCall, MetricKeyRef } from '../insights/metricCalls';
import { findImageKeys, findMetricCalls } from '../insights/metricCalls';
import type { ParamSpec } from '../params/paramSpec';
import { discoverPythonParams } from '../params/pythonParams';
import type { StoreClient } from '../store/storeClient';

/** What the code insights (hovers, inline values, the summary lens) need from the extension. */
export interface InsightStores {
  /** The store of the workspace folder that holds `uri`; undefined outside the workspace. */
  storeFor(uri: vscode.Uri): StoreClient | undefined;
  /** Fires (throttled) when runs in any store changed, and when the stores themselves did. */
  readonly onDidChangeRuns: vscode.Event<void>;
}

export interface InsightSettings {
  readonly goals: Readonly<Record<string, MetricGoal>>;
  readonly keyMetric: string | undefined;
  readonly inlineValues: boolean;
}

export function insightSettings(uri: vscode.Uri): InsightSettings {
  const config = vscode.workspace.getConfiguration('runlog', uri);
  const goals: Record<string, MetricGoal> = {};
  for (const [key, goal] of Object.entries(config.get<Record<string, unknown>>('metricGoals') ?? {})) {
    if (goal === 'min' || goal === 'max') goals[key] = goal;
  }
  return {
    goals,
    keyMetric: config.get<string>('keyMetric')?.trim() || undefined,
    inlineValues: config.get<boolean>('inlineValues') ?? true,
  };
}

/** The script's name as the user knows it: relative to its workspace folder. */
export function scriptName(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

export function isPythonFile(document: vscode.TextDocument): boolean {
  return document.languageId === 'python' && document.uri.scheme === 'file';
}

interface Parsed {
  readonly version: number;
  calls?: readonly MetricCall[];
  images?: readonly MetricKeyRef[];
  params?: readonly ParamSpec[];
}

const KEEP = 20;

/**
 * A document's metric calls, image keys and parameter declarations, parsed once per version: a
 * hover, the inline values and the lens all ask for the same ones.
 */
export class ParsedDocuments {
  private readonly parsed = new Map<string, Parsed>();

  private entry(document: vscode.TextDocument): Parsed {
    const key = document.uri.toString();
    let entry = this.parsed.get(key);
    if (!entry || entry.version !== document.version) {
      entry = { version: document.version };
      this.parsed.delete(key);
      this.parsed.set(key, entry);
      if (this.parsed.size > KEEP) this.parsed.delete(this.parsed.keys().next().value as string);
    }
    return entry;
  }

  calls(document: vscode.TextDocument): readonly MetricCall[] {
    const entry = this.entry(document);
    entry.calls ??= findMetricCalls(document.getText());
    return entry.calls;
  }

  images(document: vscode.TextDocument): readonly MetricKeyRef[] {
    const entry = this.entry(document);
    entry.images ??= findImageKeys(document.getText());
    return entry.images;
  }

  params(document: vscode.TextDocument): readonly ParamSpec[] {
    const entry = this.entry(document);
    entry.params ??= discoverPythonParams(document.getText()).specs;
    return entry.params;
  }
}

/** A store call that gives up quietly: insights are extras and never raise errors at the user. */
export async function ask<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch {
    return undefined;
  }
}
