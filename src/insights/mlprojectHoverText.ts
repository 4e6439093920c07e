/**
 * The hover over a parameter of an MLproject entry point: its MLflow type and default as MLflow
 * passes it, then (from `paramHoverMarkdown`) the values it took in recent runs. Names and defaults
 * come from a file anyone can write, so they are escaped.
 */
import type { MLproject, MLprojectEntryPoint } from '../params/mlproject';
import type { ParamSpec } from '../params/paramSpec';
import { escapeMarkdown } from './insightText';

export interface MLprojectParam {
  readonly entryPoint: MLprojectEntryPoint;
  readonly spec: ParamSpec;
}

/** The parameter whose name is at a 0-based position, if any. */
export function mlprojectParamAt(project: MLproject, line: number, column: number): MLprojectParam | undefined {
  for (const entryPoint of project.entryPoints) {
    for (const spec of entryPoint.params) {
      const { location: at } = spec;
      if (at.line === line && at.endLine === line && column >= at.column && column <= at.endColumn)
        return { entryPoint, spec };
    }
  }
  return undefined;
}

/** Text as inline code: shown as written, so nothing is escaped but the backticks that would end it. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/[\r\n]+/g, ' ')}\``;
}

/** `**lr** · float · default 0.05 · entry point main`, with "required" when there is no default. */
export function mlprojectParamMarkdown({ entryPoint, spec }: MLprojectParam): string {
  const value = entryPoint.defaultArgs[spec.name];
  return [
    `**${escapeMarkdown(spec.name)}**`,
    code(spec.typeSource ?? spec.type),
    value === undefined ? 'no default: a value is required' : `default ${value === '' ? '(empty)' : code(value)}`,
    `entry point ${code(entryPoint.name)}`,
  ].join(' · ');
}
