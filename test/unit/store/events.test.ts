import * as assert from 'node:assert/strict';
import { parseEventLine } from '../../../src/store/eventParse';
import { decodeWireNumber, encodeWireNumber } from '../../../src/store/events';

describe('journal events', () => {
  it('parses every event type', () => {
    const lines = [
      { t: 'run_start', ts: 1, run_id: 'r1', name: 'bright-owl', experiment: 'Default', command: 'python train.py' },
      { t: 'run_end', ts: 2, status: 'FAILED', exit_code: 1, error: 'Traceback …' },
      { t: 'status', ts: 3, status: 'INTERRUPTED' },
      { t: 'param', ts: 4, key: 'lr', value: '0.01' },
      { t: 'metric', ts: 5, key: 'loss', value: 0.5, step: 3 },
      { t: 'tag', ts: 6, key: 'team', value: 'vision' },
      { t: 'artifact', ts: 7, path: 'model.pkl', size: 10, sha256: 'ab' },
      { t: 'input', ts: 8, name: 'train', path: 'data/train.csv', digest: 'cd' },
      { t: 'input', ts: 8, name: 'X_train', path: 'train.py', digest: 'ef', shape: [100, 3], columns: ['a', 'b', 'c'] },
      {
        t: 'environment',
        ts: 8,
        python_version: '3.11.2',
        python_implementation: 'CPython',
        executable: '/usr/bin/python3',
        platform: 'Linux-6.1.0-x86_64-with-glibc2.36',
        system: 'Linux',
        machine: 'x86_64',
        packages: { numpy: '1.24.2', 'scikit-learn': '1.2.1' },
        gpu: {
          driver_version: '535.104.05',
          cuda_version: '12.2',
          devices: [{ name: 'A100', memory_total_megabytes: 40960 }],
        },
      },
      { t: 'environment', ts: 8, python_version: '3.8.10', packages: {} },
      {
        t: 'git',
        ts: 9,
        commit: 'abc',
        branch: 'main',
        dirty: true,
        patch: 'diff',
        untracked: [{ path: 'new.py', content: 'x' }],
      },
      {
        t: 'model',
        ts: 10,
        name: 'model',
        flavor: 'sklearn',
        uuid: 'u',
        files: [{ path: 'model/m.pkl', size: 1, sha256: 'f' }],
      },
      { t: 'registry', ts: 11, action: 'create_version', model: 'prices', run_id: 'r1', source: 'model' },
      { t: 'registry', ts: 12, action: 'set_alias', model: 'prices', alias: 'champion', version: 1 },
      {
        t: 'registry',
        ts: 13,
        action: 'create_version',
        model: 'prices',
        run_id: 'r2',
        source: 'model',
        version: 2,
        tags: { rmse: '41000' },
      },
    ];
    for (const line of lines) {
      const parsed = parseEventLine(JSON.stringify(line));
      assert.ok(parsed.ok, `${line.t}: ${parsed.ok ? '' : parsed.reason}`);
      assert.deepEqual(parsed.event, line);
    }
  });

  it('keeps NaN and infinities, which JSON carries as strings', () => {
    for (const [wire, value] of [
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
    ] as const) {
      const parsed = parseEventLine(JSON.stringify({ t: 'metric', ts: 1, key: 'loss', value: wire, step: 0 }));
      assert.ok(parsed.ok && parsed.event.t === 'metric');
      assert.ok(Object.is(parsed.event.value, value));
      assert.equal(encodeWireNumber(value), wire);
    }
    assert.equal(decodeWireNumber('nan'), undefined);
    assert.equal(encodeWireNumber(1.5), 1.5);
  });

  it('names what is wrong with a malformed line and never throws', () => {
    const cases: [string, RegExp][] = [
      ['{"t":"metric","ts":1,"key":"loss","value":0.5', /not valid JSON/],
      ['[1,2]', /not a JSON object/],
      ['null', /not a JSON object/],
      ['{"ts":1}', /"t" \(the event type\) is missing/],
      ['{"t":"explode","ts":1}', /unknown event type "explode"/],
      ['{"t":"","ts":1}', /"t" \(the event type\) is missing/],
      [
        '{"t":"input","ts":1,"name":"n","path":"p","digest":"d","shape":[-1]}',
        /"shape" must be a list of non-negative/,
      ],
      ['{"t":"input","ts":1,"name":"n","path":"p","digest":"d","columns":[1]}', /"columns" must be a list of strings/],
      ['{"t":"environment","ts":1,"packages":{}}', /environment: "python_version" must be a non-empty string/],
      [
        '{"t":"environment","ts":1,"python_version":"3.11","packages":{"a":1}}',
        /"packages" must be an object of strings/,
      ],
      ['{"t":"environment","ts":1,"python_version":"3.11","packages":[]}', /"packages" must be an object of strings/],
      ['{"t":"environment","ts":1,"python_version":"3.11","packages":{},"gpu":[]}', /"gpu" must be an object/],
      [
        '{"t":"environment","ts":1,"python_version":"3.11","packages":{},"gpu":{"devices":[{"name":"A","memory_total_megabytes":"x"}]}}',
        /"gpu.devices" entries must be/,
      ],
      ['{"t":"metric","key":"loss","value":1,"step":0}', /"ts" must be a number/],
      ['{"t":"metric","ts":1,"key":"loss","value":"high","step":0}', /metric: "value" must be a number/],
      ['{"t":"metric","ts":1,"key":"loss","value":1,"step":0.5}', /"step" must be an integer/],
      ['{"t":"metric","ts":1,"key":"","value":1,"step":0}', /"key" must be a non-empty string/],
      ['{"t":"param","ts":1,"key":"lr","value":0.01}', /param: "value" must be a string/],
      ['{"t":"run_end","ts":1,"status":"DONE"}', /"status" must be one of FINISHED, FAILED, KILLED/],
      ['{"t":"run_end","ts":1,"status":"FAILED","exit_code":"1"}', /"exit_code" must be an integer/],
      ['{"t":"status","ts":1,"status":"running"}', /"status" must be one of/],
      ['{"t":"status","ts":1,"status":"RUNNING","pid":-1}', /status: "pid" must be a positive integer/],
      [
        '{"t":"run_start","ts":1,"run_id":"r","name":"n","experiment":"e","pid":1.5}',
        /"pid" must be a positive integer/,
      ],
      ['{"t":"run_start","ts":1,"run_id":"r","name":"n","experiment":"e","host":7}', /"host" must be a string/],
      ['{"t":"run_start","ts":1,"run_id":"r","name":"n"}', /"experiment" must be a non-empty string/],
      ['{"t":"run_start","ts":1,"run_id":"r","name":"n","experiment":"e","cwd":3}', /"cwd" must be a string/],
      ['{"t":"artifact","ts":1,"path":"a","sha256":"b","size":-1}', /"size" must be a non-negative integer/],
      ['{"t":"git","ts":1,"commit":"c","dirty":"yes","patch":"","untracked":[]}', /"dirty" must be true or false/],
      ['{"t":"git","ts":1,"commit":"c","dirty":false,"patch":"","untracked":[{"path":1}]}', /"untracked" entries/],
      ['{"t":"git","ts":1,"commit":"c","dirty":false,"patch":""}', /"untracked" must be a list/],
      ['{"t":"model","ts":1,"name":"m","flavor":"f","uuid":"u","files":[{"path":"a"}]}', /"files" entries must be/],
      ['{"t":"registry","ts":1,"action":"promote","model":"m"}', /"action" must be one of create_model/],
      ['{"t":"registry","ts":1,"action":"set_alias","model":"m","version":0}', /"version" must be a positive integer/],
      [
        '{"t":"registry","ts":1,"action":"create_version","model":"m","tags":{"a":1}}',
        /"tags" must be an object of strings/,
      ],
      [
        '{"t":"registry","ts":1,"action":"create_version","model":"m","tags":["a"]}',
        /"tags" must be an object of strings/,
      ],
      [
        '{"t":"registry","ts":1,"action":"create_version","model":"m","tags":null}',
        /"tags" must be an object of strings/,
      ],
    ];
    for (const [line, reason] of cases) {
      const parsed = parseEventLine(line);
      assert.equal(parsed.ok, false, line);
      assert.match(parsed.ok ? '' : parsed.reason, reason, line);
    }
  });

  it("tells a newer producer's event type from a malformed line", () => {
    const newer = parseEventLine('{"t":"hyperdrive","ts":1,"anything":[1]}');
    assert.ok(!newer.ok && newer.unknownType === 'hyperdrive');
    for (const line of ['{"t":"hyperdrive"}', '{"ts":1}', '{"t":7,"ts":1}', '{"t":"metric","ts":1}']) {
      const parsed = parseEventLine(line);
      assert.ok(!parsed.ok && parsed.unknownType === undefined, line);
    }
  });
});
