import * as assert from 'node:assert/strict';
import {
  experimentMetaYaml,
  isSafeKey,
  metricLine,
  mlflowStatus,
  parseExperimentMeta,
  parseMetricLine,
  parsePythonFloat,
  parseRunMeta,
  pythonFloatRepr,
  pyyamlDump,
  runMetaYaml,
} from '../../../src/mlruns/mlrunsLayout';

const RUN_META = `artifact_uri: file:///home/alice/proj/mlruns/0/3f2a/artifacts
end_time: 1732600060000
entry_point_name: ''
experiment_id: '0'
lifecycle_stage: active
run_id: 3f2a9c1d4b5e6f708192a3b4c5d6e7f8
run_name: bright-owl
run_uuid: 3f2a9c1d4b5e6f708192a3b4c5d6e7f8
source_name: ''
source_type: 4
source_version: ''
start_time: 1732600000000
status: 3
tags: []
user_id: alice
`;

describe('MLflow file store layout', () => {
  it('reads a run meta.yaml with its int status', () => {
    const parsed = parseRunMeta(RUN_META);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, {
      runId: '3f2a9c1d4b5e6f708192a3b4c5d6e7f8',
      experimentId: '0',
      runName: 'bright-owl',
      userId: 'alice',
      status: 'FINISHED',
      startTime: 1732600000000,
      endTime: 1732600060000,
      lifecycleStage: 'active',
      artifactUri: 'file:///home/alice/proj/mlruns/0/3f2a/artifacts',
    });
  });

  it('maps every MLflow status both ways', () => {
    const statuses = ['RUNNING', 'QUEUED', 'FINISHED', 'FAILED', 'KILLED'] as const;
    statuses.forEach((status, i) => {
      const parsed = parseRunMeta(RUN_META.replace('status: 3', `status: ${i + 1}`));
      assert.ok(parsed.ok);
      assert.equal(parsed.value.status, status);
      assert.equal(mlflowStatus(status), i + 1);
    });
    assert.equal(mlflowStatus('INTERRUPTED'), 4, 'an interrupted run failed');
  });

  it('keeps run ids strings even when YAML 1.2 would read a number', () => {
    const parsed = parseRunMeta(RUN_META.replace(/3f2a9c1d4b5e6f708192a3b4c5d6e7f8/g, '1234e567'));
    assert.ok(parsed.ok);
    assert.equal(parsed.value.runId, '1234e567');
  });

  it('reads a running run (end_time null) and legacy int experiment ids', () => {
    const parsed = parseRunMeta(RUN_META.replace('end_time: 1732600060000', 'end_time: null').replace("'0'", '0'));
    assert.ok(parsed.ok);
    assert.equal(parsed.value.endTime, null);
    assert.equal(parsed.value.experimentId, '0');
  });

  it('refuses malformed run metadata with the reason', () => {
    const cases: [string, RegExp][] = [
      ['{{{', /not YAML/],
      ['- a\n- b\n', /not a YAML mapping/],
      [RUN_META.replace(/run_(id|uuid): .*\n/g, ''), /run_id is missing/],
      [RUN_META.replace(/3f2a9c1d4b5e6f708192a3b4c5d6e7f8/g, '../../etc'), /not a run id/],
      [RUN_META.replace('status: 3', 'status: 9'), /not an MLflow run status/],
      [RUN_META.replace('start_time: 1732600000000', 'start_time: yesterday'), /start_time/],
      [RUN_META.replace('lifecycle_stage: active', 'lifecycle_stage: limbo'), /lifecycle_stage/],
      [RUN_META.replace("experiment_id: '0'\n", ''), /experiment_id is missing/],
    ];
    for (const [text, reason] of cases) {
      const parsed = parseRunMeta(text);
      assert.equal(parsed.ok, false, text);
      if (!parsed.ok) assert.match(parsed.reason, reason);
    }
  });

  it('reads and writes experiment metadata as PyYAML does', () => {
    const text =
      "artifact_location: file:///home/alice/proj/mlruns/0\ncreation_time: 1732599995000\nexperiment_id: '0'\nlast_update_time: 1732599995000\nlifecycle_stage: active\nname: Default\n";
    const parsed = parseExperimentMeta(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.name, 'Default');
    assert.equal(experimentMetaYaml(parsed.value), text);
    assert.equal(parseExperimentMeta('name: x\n').ok, false);
    assert.equal(parseExperimentMeta("experiment_id: '../x'\nname: x\n").ok, false);
  });

  it('writes run metadata with sorted keys, quoting what YAML 1.1 would not read as a string', () => {
    const parsed = parseRunMeta(RUN_META);
    assert.ok(parsed.ok);
    assert.equal(runMetaYaml(parsed.value), RUN_META);
    assert.equal(
      pyyamlDump({ b: 'yes', a: '0123', c: "it's", d: '', e: 'a: b', f: 'two words', g: '1.5', h: '2024-01-02' }),
      "a: '0123'\nb: 'yes'\nc: 'it''s'\nd: ''\ne: 'a: b'\nf: two words\ng: '1.5'\nh: '2024-01-02'\n",
    );
    assert.equal(pyyamlDump({ name: 'line\nbreak' }), 'name: "line\\nbreak"\n');
  });

  it('writes hostile run names so that they read back unchanged', () => {
    const parsed = parseRunMeta(RUN_META);
    assert.ok(parsed.ok);
    const names = [
      'line\nbreak\ttab',
      'it\'s "quoted"',
      '- dash',
      '#comment',
      'a: b',
      'trailing ',
      ' leading',
      '[flow]',
      '{map}',
      '&anchor',
      '*alias',
      '!tag',
      '|block',
      '>folded',
      '%directive',
      '@at',
      '`tick`',
      'null',
      '~',
      'yes',
      '1e3',
      '0x1F',
      '.inf',
      'ünïcødé 名前',
      'back\\slash',
      '---',
      '...',
      '? key',
      '',
    ];
    for (const runName of names) {
      const again = parseRunMeta(runMetaYaml({ ...parsed.value, runName }));
      assert.ok(again.ok, runName);
      assert.equal(again.value.runName, runName, runName);
    }
  });

  it('reads metric lines, NaN and infinities as written, and the old two-field form', () => {
    assert.deepEqual(parseMetricLine('1732600001000 0.5 3'), {
      ok: true,
      value: { timestamp: 1732600001000, value: 0.5, step: 3 },
    });
    assert.deepEqual(parseMetricLine('5 nan 0\n'), { ok: true, value: { timestamp: 5, value: Number.NaN, step: 0 } });
    assert.deepEqual(parseMetricLine('5 -inf 1'), { ok: true, value: { timestamp: 5, value: -Infinity, step: 1 } });
    assert.deepEqual(parseMetricLine('5 1e-05'), { ok: true, value: { timestamp: 5, value: 1e-5, step: 0 } });
    for (const bad of ['5', '5 1 2 3', 'x 1 0', '5 one 0', '5 1 0.5', '5  1 0', '1.5 1 0']) {
      assert.equal(parseMetricLine(bad).ok, false, bad);
    }
  });

  it('parses floats as Python does and writes them as repr does', () => {
    assert.equal(parsePythonFloat('Infinity'), Infinity);
    assert.equal(parsePythonFloat('+.5'), 0.5);
    assert.equal(parsePythonFloat('0x10'), undefined);
    assert.equal(parsePythonFloat(''), undefined);
    const cases: [number, string][] = [
      [0.5, '0.5'],
      [1, '1.0'],
      [100, '100.0'],
      [-2.5, '-2.5'],
      [0, '0.0'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1.5e16, '1.5e+16'],
      [1e16, '1e+16'],
      [123456789012345.6, '123456789012345.6'],
      [0.1 + 0.2, '0.30000000000000004'],
      [Number.NaN, 'nan'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
      [-1.25e-7, '-1.25e-07'],
    ];
    for (const [value, repr] of cases) {
      assert.equal(pythonFloatRepr(value), repr, String(value));
      assert.ok(Object.is(parsePythonFloat(repr), value), repr);
    }
    assert.equal(metricLine({ timestamp: 7, value: 2, step: 1 }), '7 2.0 1\n');
  });

  it('accepts keys that stay inside their folder', () => {
    for (const key of ['loss', 'val/loss', 'a.b-c d', 'optimizer/name']) assert.equal(isSafeKey(key), true, key);
    for (const key of ['', '../x', 'a/../../x', '/abs', 'a//b', 'a\\b', 'a/.', 'nul\0']) {
      assert.equal(isSafeKey(key), false, key);
    }
  });
});
