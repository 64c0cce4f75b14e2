import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareFixtures, FIXTURE_DIR } from '../helpers/compare-fixtures.ts';

describe('#compareFixtures', () => {
  it('matches the files in test/fixtures/compare (regenerate: npx tsx test/helpers/compare-fixtures.ts)', () => {
    for (const [name, text] of Object.entries(compareFixtures())) {
      expect(readFileSync(FIXTURE_DIR + name, 'utf8'), name).toBe(text);
    }
  });
});
