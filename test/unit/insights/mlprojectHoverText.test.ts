import * as assert from 'node:assert/strict';
import { mlprojectParamAt, mlprojectParamMarkdown } from '../../../src/insights/mlprojectHoverText';
import { parseMLproject } from '../../../src/params/mlproject';

const TEXT = [
  'entry_points:',
  '  main:',
  '    parameters:',
  '      lr: {type: float, default: 1.50}',
  '      data: path',
  '      note: {default: ""}',
  '      "<img src=x>**`x`**": {type: string, default: "a`b"}',
  '    command: "python t.py {lr} {data} {note}"',
  '  eval:',
  '    parameters:',
  '      lr: int',
  '    command: "python e.py {lr}"',
].join('\n');

describe('MLproject parameter hovers', () => {
  const project = parseMLproject(TEXT);

  it('finds the parameter whose name is under the cursor, in its own entry point', () => {
    const at = (line: number, column: number): string | undefined => {
      const found = mlprojectParamAt(project, line, column);
      return found && `${found.entryPoint.name}.${found.spec.name}`;
    };
    assert.equal(at(3, 6), 'main.lr');
    assert.equal(at(3, 8), 'main.lr', 'the end of the name still counts');
    assert.equal(at(3, 9), undefined, 'the colon does not');
    assert.equal(at(3, 5), undefined);
    assert.equal(at(4, 7), 'main.data');
    assert.equal(at(10, 7), 'eval.lr');
    assert.equal(at(7, 20), undefined, 'a placeholder in the command is not a declaration');
  });

  it("shows MLflow's type and the default as MLflow passes it, or that a value is required", () => {
    const markdown = (line: number, column: number): string => {
      const found = mlprojectParamAt(project, line, column);
      assert.ok(found);
      return mlprojectParamMarkdown(found);
    };
    assert.equal(markdown(3, 6), '**lr** · `float` · default `1.5` · entry point `main`');
    assert.equal(markdown(4, 6), '**data** · `path` · no default: a value is required · entry point `main`');
    assert.equal(markdown(5, 6), '**note** · `string` · default (empty) · entry point `main`');
    assert.equal(markdown(10, 6), '**lr** · `int` · no default: a value is required · entry point `eval`');
  });

  it('escapes names and defaults from the file', () => {
    const found = mlprojectParamAt(project, 6, 8);
    assert.ok(found);
    assert.equal(
      mlprojectParamMarkdown(found),
      "**\\<img src=x\\>\\*\\*\\`x\\`\\*\\*** · `string` · default `a'b` · entry point `main`",
    );
  });
});
