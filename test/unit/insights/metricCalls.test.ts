import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findImageKeys, findMetricCalls, imageKeyAt, metricKeyAt } from '../../../src/insights/metricCalls';

/** Tests run from out/…, so find the repository by walking up to package.json. */
function repoFile(path: string): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return readFileSync(join(dir, path), 'utf8');
}

const keys = (source: string): [string, string[]][] =>
  findMetricCalls(source).map((c) => [c.callee, c.keys.map((k) => k.key)]);

describe('metric calls in Python source', () => {
  it('finds log_metric through a module, an imported name, a run object and mlflow', () => {
    const source = [
      'import runlog, mlflow',
      'from runlog import log_metric',
      'runlog.log_metric("val_loss", loss, step=epoch)',
      "log_metric('acc', acc)",
      'run.log_metric(key="lr", value=lr)',
      'self.run.log_metric("grad_norm", g)',
      'mlflow.log_metric("rmse", rmse, step=3)',
    ].join('\n');
    assert.deepEqual(keys(source), [
      ['runlog.log_metric', ['val_loss']],
      ['log_metric', ['acc']],
      ['run.log_metric', ['lr']],
      ['self.run.log_metric', ['grad_norm']],
      ['mlflow.log_metric', ['rmse']],
    ]);
  });

  it('finds each key of log_metrics: dict displays, dict(...), the metrics= keyword', () => {
    const source = [
      'runlog.log_metrics({"rmse": rmse(y, p), "r2": r2(y, p)}, step=step)',
      'mlflow.log_metrics(dict(loss=l, acc=a))',
      'run.log_metrics(step=1, metrics={',
      '    "train/loss": tl,  # comment',
      "    'val/loss': {'nested': 1}['nested'],",
      '    **extra,',
      '})',
    ].join('\n');
    assert.deepEqual(keys(source), [
      ['runlog.log_metrics', ['rmse', 'r2']],
      ['mlflow.log_metrics', ['loss', 'acc']],
      ['run.log_metrics', ['train/loss', 'val/loss']],
    ]);
  });

  it('gives each key the range of its literal, quotes included', () => {
    const source = 'x = 1\n    runlog.log_metrics({"rmse": 1,\n        "r2": 2})\n';
    const [call] = findMetricCalls(source);
    assert.ok(call);
    assert.deepEqual(
      call.keys.map((k) => k.range),
      [
        { line: 1, column: 24, endLine: 1, endColumn: 30 },
        { line: 2, column: 8, endLine: 2, endColumn: 12 },
      ],
    );
    assert.deepEqual(call.range, { line: 1, column: 4, endLine: 2, endColumn: 17 });
    const dict = findMetricCalls('log_metrics(dict(acc=1))')[0];
    assert.deepEqual(dict?.keys[0]?.range, { line: 0, column: 17, endLine: 0, endColumn: 20 });
  });

  it('skips keys known only at run time, and calls that are not calls', () => {
    const source = [
      'runlog.log_metric(f"loss_{i}", l)',
      'runlog.log_metric(name, l)',
      'runlog.log_metric("a" + suffix, l)',
      'runlog.log_metric(b"bytes", l)',
      'runlog.log_metrics(metrics)',
      'runlog.log_metrics({k: v for k, v in m.items()})',
      'def log_metric(key, value):',
      '    pass',
      '# runlog.log_metric("commented", 1)',
      'print("runlog.log_metric(\'quoted\', 1)")',
      'f = runlog.log_metric',
      'runlog.log_metric(f"plain", 1)',
    ].join('\n');
    assert.deepEqual(keys(source), [
      ['runlog.log_metric', []],
      ['runlog.log_metric', []],
      ['runlog.log_metric', []],
      ['runlog.log_metric', []],
      ['runlog.log_metrics', []],
      ['runlog.log_metrics', []],
      ['runlog.log_metric', ['plain']],
    ]);
  });

  it('names the method alone when the receiver is not a plain dotted name', () => {
    assert.deepEqual(keys('runs[0].log_metric("a", 1)\nget_run().log_metric("b", 2)'), [
      ['log_metric', ['a']],
      ['log_metric', ['b']],
    ]);
  });

  it('survives broken source: an unclosed call still yields what is known', () => {
    assert.deepEqual(keys('runlog.log_metric("loss", '), [['runlog.log_metric', ['loss']]]);
    assert.deepEqual(keys('runlog.log_metrics({"a": 1, "b"'), [['runlog.log_metrics', []]]);
  });

  it('finds the key under a position, and nothing elsewhere on the call', () => {
    const source = 'runlog.log_metrics({"rmse": 1, "r2": 2}, step=3)';
    const calls = findMetricCalls(source);
    assert.equal(metricKeyAt(calls, 0, 20)?.key.key, 'rmse');
    assert.equal(metricKeyAt(calls, 0, 26)?.key.key, 'rmse');
    assert.equal(metricKeyAt(calls, 0, 33)?.key.key, 'r2');
    assert.equal(metricKeyAt(calls, 0, 3), undefined);
    assert.equal(metricKeyAt(calls, 0, 45), undefined);
    assert.equal(metricKeyAt(calls, 1, 20), undefined);
  });

  it('reads the demo script: rmse and r2 from one log_metrics call', () => {
    const source = repoFile('examples/house-prices/train.py');
    const calls = findMetricCalls(source);
    assert.equal(calls.length, 1);
    assert.deepEqual(
      calls[0].keys.map((k) => k.key),
      ['rmse', 'r2'],
    );
  });

  it("finds the key= of log_image calls (runlog's and MLflow's), with its range", () => {
    const source = [
      'runlog.log_image(pred, key="val/predictions", step=epoch)',
      'mlflow.log_image(img, "plot.png")',
      'run.log_image(img, step=3, key=f"attn_{i}")',
      "log_image(\n    grid,\n    key='samples',\n)",
      'def log_image(self, image, key=None): pass',
    ].join('\n');
    const found = findImageKeys(source);
    assert.deepEqual(
      found.map((k) => k.key),
      ['val/predictions', 'samples'],
    );
    assert.deepEqual(found[1].range, { line: 5, column: 8, endLine: 5, endColumn: 17 });
    assert.equal(imageKeyAt(found, 0, 30)?.key, 'val/predictions');
    assert.equal(imageKeyAt(found, 0, 5), undefined);
  });
});
