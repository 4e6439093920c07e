import * as assert from 'node:assert/strict';
import { imageSeriesOf, keyInFileName, parseImageName } from '../../../src/store/imageNames';

const UUID = 'g1b2c3d4-0000-4000-8000-000000000000';

describe('image names (MLflow layout)', () => {
  it("reads the key, step and time of an image and of MLflow's preview", () => {
    assert.deepEqual(parseImageName(`images/val#predictions%step%12%timestamp%1700000000123%${UUID}.png`), {
      key: 'val/predictions',
      step: 12,
      timestamp: 1_700_000_000_123,
      stem: `val#predictions%step%12%timestamp%1700000000123%${UUID}`,
      compressed: false,
    });
    const preview = parseImageName(`images/val#predictions%step%12%timestamp%1700000000123%${UUID}%compressed.webp`);
    assert.equal(preview?.compressed, true);
    assert.equal(preview?.stem, `val#predictions%step%12%timestamp%1700000000123%${UUID}`);
  });

  it("takes negative steps, JPEG, keys with spaces and dots, and '+' as MLflow's UI does", () => {
    assert.equal(parseImageName(`images/a%step%-3%timestamp%5%${UUID}.jpg`)?.step, -3);
    assert.equal(parseImageName(`images/my key.v2%step%0%timestamp%5%${UUID}.jpeg`)?.key, 'my key.v2');
    const plus = parseImageName(`images/gen#samples+step+7+timestamp+99+${UUID}+compressed.webp`);
    assert.deepEqual(
      plus && { key: plus.key, step: plus.step, timestamp: plus.timestamp, compressed: plus.compressed },
      { key: 'gen/samples', step: 7, timestamp: 99, compressed: true },
    );
  });

  it('refuses what is not an image of a series', () => {
    for (const path of [
      'images/plain.png',
      `plots/a%step%1%timestamp%5%${UUID}.png`,
      `images/sub/a%step%1%timestamp%5%${UUID}.png`,
      `images/a%step%1%timestamp%5%${UUID}.gif`,
      `images/a%step%1.5%timestamp%5%${UUID}.png`,
      `images/a%step%1%timestamp%-5%${UUID}.png`,
      `images/a%stop%1%timestamp%5%${UUID}.png`,
      `images/%step%1%timestamp%5%${UUID}.png`,
      `images/a%step%1%timestamp%5%.png`,
      `images/a%step%1%timestamp%5%${UUID}%thumbnail.webp`,
      `images/a%step%99999999999999999%timestamp%5%${UUID}.png`,
      `images/a%b%step%1%timestamp%5%${UUID}.png`,
      `images/..%step%1%timestamp%5%${UUID}\\x.png`,
    ]) {
      assert.equal(parseImageName(path), undefined, path);
    }
  });

  it('writes a key as MLflow does: / as #', () => {
    assert.equal(keyInFileName('val/a/b'), 'val#a#b');
  });

  it('groups a run’s files into series by step, pairing each image with its preview', () => {
    const name = (key: string, step: number, ts: number, uuid: string, tail = '.png'): string =>
      `images/${key}%step%${step}%timestamp%${ts}%${uuid}${tail}`;
    const series = imageSeriesOf([
      name('loss#img', 2, 20, 'g2'),
      name('loss#img', 2, 20, 'g2', '%compressed.webp'),
      name('loss#img', 0, 10, 'g0'),
      name('loss#img', 1, 15, 'h1', '%compressed.webp'), // only the preview was kept
      name('loss#img', 0, 12, 'g9'), // step 0 again, later: it wins
      name('other', 5, 1, 'k5'),
      'images/readme.txt',
      'model/model.pkl',
    ]);
    assert.deepEqual([...series.keys()].sort(), ['loss/img', 'other']);
    assert.deepEqual(series.get('loss/img'), [
      { step: 0, timestamp: 12, file: name('loss#img', 0, 12, 'g9'), preview: null },
      {
        step: 1,
        timestamp: 15,
        file: name('loss#img', 1, 15, 'h1', '%compressed.webp'),
        preview: name('loss#img', 1, 15, 'h1', '%compressed.webp'),
      },
      {
        step: 2,
        timestamp: 20,
        file: name('loss#img', 2, 20, 'g2'),
        preview: name('loss#img', 2, 20, 'g2', '%compressed.webp'),
      },
    ]);
  });
});
