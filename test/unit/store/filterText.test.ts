import * as assert from 'node:assert/strict';
import { parseFilter } from '../../../src/store/filter';
import type { FilterNode } from '../../../src/store/filterGrammar';
import { metricRangeTerm, paramValuesTerm, withTerm } from '../../../src/store/filterText';

describe('filter terms of quick filters', () => {
  it('writes a metric range, quoting a key the language cannot read bare', () => {
    assert.equal(metricRangeTerm('val_loss', 0.1, 0.5), 'metrics.val_loss >= 0.1 AND metrics.val_loss <= 0.5');
    assert.equal(metricRangeTerm('val/loss', null, 1e-7), 'metrics.val/loss <= 1e-7');
    assert.equal(metricRangeTerm('val loss', -2, null), 'metrics.`val loss` >= -2');
    assert.equal(metricRangeTerm('x', null, null), undefined);
    for (const term of ['metrics.val/loss <= 1e-7', 'metrics.`val loss` >= -2']) assert.ok(parseFilter(term), term);
  });

  it('writes a pick of param values, hostile keys and values read back as written', () => {
    assert.equal(paramValuesTerm('opt', ['adam']), "params.opt = 'adam'");
    assert.equal(paramValuesTerm('opt', []), undefined);
    const key = 'a `b` \\\\ c';
    const values = ["it's", 'back\\\\slash', '<img src=x>'];
    const term = paramValuesTerm(key, values);
    assert.ok(term?.startsWith('(') && term.endsWith(')'), term);
    const tree = parseFilter(term ?? '');
    const read: { key: string; value: unknown }[] = [];
    const walk = (node: FilterNode | undefined): void => {
      if (node?.kind === 'comparison') {
        read.push({
          key: node.field.entity === 'param' ? node.field.key : '?',
          value: node.value.type === 'string' ? node.value.value : '?',
        });
      } else if (node?.kind === 'or' || node?.kind === 'and') node.operands.forEach(walk);
    };
    walk(tree);
    assert.deepEqual(
      read,
      values.map((value) => ({ key, value })),
      JSON.stringify(tree),
    );
  });

  it('ANDs a term to the filter, putting a filter with OR in parentheses', () => {
    assert.equal(withTerm('', 'metrics.x >= 1'), 'metrics.x >= 1');
    assert.equal(withTerm(' params.a = 1 ', 'metrics.x >= 1'), 'params.a = 1 AND metrics.x >= 1');
    assert.equal(
      withTerm('params.a = 1 or params.b = 2', 'metrics.x >= 1'),
      '(params.a = 1 or params.b = 2) AND metrics.x >= 1',
    );
    assert.equal(withTerm("params.color = 'ORange'", 'metrics.x >= 1'), "params.color = 'ORange' AND metrics.x >= 1");
  });
});
