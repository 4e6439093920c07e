import * as assert from 'node:assert/strict';
import { literalIcons } from '../../../src/util/iconText';

/** What VS Code draws for a label (src/vs/base/browser/ui/iconLabel/iconLabels.ts): icons as «name», escaped ones as text. */
function drawn(label: string): string {
  return label.replace(/(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g, (_m, escaped: string | undefined, name: string) =>
    escaped ? `$(${name})` : `«${name}»`,
  );
}

describe('literalIcons: user text in labels that draw $(name) as an icon', () => {
  it('shows a value holding $(name) as text, not as an icon', () => {
    assert.equal(drawn('$(rocket)'), '«rocket»', 'the reference: unescaped, an icon');
    for (const value of ['$(rocket)', 'a $(x) b $(sync~spin)', '\\$(rocket)', '$(', '$()', 'plain', '']) {
      assert.equal(drawn(literalIcons(value)), value, JSON.stringify(value));
    }
  });

  it('leaves text without $( as it is', () => {
    assert.equal(literalIcons('lr=0.01 (best) $x'), 'lr=0.01 (best) $x');
  });
});
