import * as assert from 'node:assert/strict';
import { chartsCsv, differingParams, runColor } from '../../../src/runs/chartModel';

describe('chart model', () => {
  it('labels runs with the params that differ between them', () => {
    assert.deepEqual(
      differingParams([
        { lr: '0.1', depth: '4', seed: '1' },
        { lr: '0.01', depth: '4', seed: '1' },
        { lr: '0.1', seed: '1', extra: 'x' },
      ]),
      ['depth=4 lr=0.1', 'depth=4 lr=0.01', 'extra=x lr=0.1'],
    );
    assert.deepEqual(differingParams([{ a: '1' }, { a: '1' }]), ['', '']);
    assert.deepEqual(differingParams([]), []);
    const long = differingParams([{ k: 'x'.repeat(500) }, {}]);
    assert.equal(long[0].length, 120);
    assert.ok(long[0].endsWith('…'));
  });

  it('gives each run index a stable color', () => {
    assert.equal(runColor(0), runColor(20));
    assert.notEqual(runColor(0), runColor(1));
    assert.match(runColor(-1), /^#[0-9a-f]{6}$/);
  });

  it('writes RFC 4180 CSV with every point, non-finite values by name, formulas defused', () => {
    const csv = chartsCsv('loss', [
      {
        runId: 'r1',
        name: 'bright, "owl"',
        points: {
          steps: Float64Array.of(0, 1),
          times: Float64Array.of(1000, 2000),
          values: Float64Array.of(0.5, Number.NaN),
        },
      },
      {
        runId: 'r2',
        name: '=cmd()',
        points: { steps: Float64Array.of(0), times: Float64Array.of(3000), values: Float64Array.of(-1) },
      },
    ]);
    assert.equal(
      csv,
      'run_id,run_name,key,step,timestamp_ms,value\r\nr1,"bright, ""owl""",loss,0,1000,0.5\r\nr1,"bright, ""owl""",loss,1,2000,NaN\r\n' +
        "r2,'=cmd(),loss,0,3000,-1\r\n",
    );
  });
});
