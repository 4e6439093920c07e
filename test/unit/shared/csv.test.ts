import * as assert from 'node:assert/strict';
import { csvField, csvText } from '../../../shared/csv';

describe('CSV', () => {
  it('quotes fields per RFC 4180 and defuses formulas', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('a,"b"\nc'), '"a,""b""\nc"');
    assert.equal(csvField('-0.5'), '-0.5', 'negative numbers stay numbers');
    assert.equal(csvField('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"', 'formulas are defused');
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
  });

  it('ends every line with CRLF', () => {
    assert.equal(
      csvText([
        ['a', 'b'],
        ['1', 'x,y'],
      ]),
      'a,b\r\n1,"x,y"\r\n',
    );
    assert.equal(csvText([]), '');
  });
});
