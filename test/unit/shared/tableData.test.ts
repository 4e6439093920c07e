import * as assert from 'node:assert/strict';
import type { TableData } from '../../../shared/tableData';
import { cellText, imageCell, parseTable, queryRows, tableCsv } from '../../../shared/tableData';

function table(text: string, format: 'json' | 'csv' | 'tsv'): TableData {
  const parsed = parseTable(text, format);
  assert.ok(!('problem' in parsed), JSON.stringify(parsed));
  return parsed;
}

describe('tables (MLflow split JSON, CSV)', () => {
  it("reads MLflow's log_table JSON, image cells and short rows included", () => {
    const t = table(
      JSON.stringify({
        columns: ['input', 'loss', 'image'],
        data: [
          [
            'a cat',
            0.5,
            { type: 'image', filepath: 'table_images/eval/g1.png', compressed_filepath: 'table_images/eval/g1.webp' },
          ],
          ['a dog', null],
        ],
      }),
      'json',
    );
    assert.deepEqual(t.columns, ['input', 'loss', 'image']);
    assert.equal(t.rows[1][2], null, 'a short row is padded with null');
    assert.deepEqual(imageCell(t.rows[0][2]), {
      filepath: 'table_images/eval/g1.png',
      preview: 'table_images/eval/g1.webp',
    });
    assert.equal(imageCell({ type: 'image' }), undefined);
    assert.equal(cellText(t.rows[0][2]), 'table_images/eval/g1.png');
    assert.equal(cellText({ nested: [1, 2] }), '{"nested":[1,2]}');
  });

  it('says why a file is not a table', () => {
    assert.match((parseTable('{"a": 1}', 'json') as { problem: string }).problem, /not a table/);
    assert.match((parseTable('{', 'json') as { problem: string }).problem, /not JSON/);
  });

  it('reads CSV with quotes, embedded line breaks, CRLF and a BOM; numbers as numbers', () => {
    const t = table('\ufeffname,score,note\r\n"Smith, J",10,"said ""hi""\nthen left"\r\nLee,9.5,\r\n', 'csv');
    assert.deepEqual(t.columns, ['name', 'score', 'note']);
    assert.deepEqual(t.rows, [
      ['Smith, J', 10, 'said "hi"\nthen left'],
      ['Lee', 9.5, ''],
    ]);
    assert.deepEqual(table('a\tb\n1\tx\n', 'tsv').rows, [[1, 'x']]);
  });

  it('filters on any cell and sorts numbers, text and empty cells (last both ways), stably', () => {
    const t = table('name,score\nb,10\na,9\nc,\nd,10\nA2,x\n', 'csv');
    assert.deepEqual(queryRows(t, { filter: '', sort: { column: 1, descending: false } }), [1, 0, 3, 4, 2]);
    assert.deepEqual(queryRows(t, { filter: '', sort: { column: 1, descending: true } }), [4, 0, 3, 1, 2]);
    assert.deepEqual(queryRows(t, { filter: 'A', sort: null }), [1, 4]);
    assert.deepEqual(queryRows(t, { filter: '10', sort: { column: 0, descending: true } }), [3, 0]);
  });

  it('exports what is shown as CSV, formulas defused', () => {
    const t = table(
      JSON.stringify({
        columns: ['x', 'y'],
        data: [
          ['=cmd()', 1],
          ['ok', 2],
        ],
      }),
      'json',
    );
    assert.equal(tableCsv(t, [1, 0]), "x,y\r\nok,2\r\n'=cmd(),1\r\n");
  });
});
