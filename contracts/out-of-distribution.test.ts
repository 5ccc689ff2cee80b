import { describe, expect, it } from 'vitest';
import { isOutOfDistribution, outOfDistributionMessage } from './out-of-distribution.ts';

describe('isOutOfDistribution', () => {
  const manifest = {
    displayName: 'Handwritten digits',
    outOfDistribution: { subject: 'a handwritten digit', threshold: 0.46 },
  };

  it('flags a top-1 probability below the threshold and not one at or above it', () => {
    expect(isOutOfDistribution(manifest, 0.3)).toBe(true);
    expect(isOutOfDistribution(manifest, 0.46)).toBe(false);
    expect(isOutOfDistribution(manifest, 0.99)).toBe(false);
  });

  it('never flags for a model without a threshold', () => {
    expect(isOutOfDistribution({}, 0.01)).toBe(false);
  });

  it("says what the image doesn't look like, from the manifest", () => {
    expect(outOfDistributionMessage(manifest)).toBe("This doesn't look like a handwritten digit");
    expect(outOfDistributionMessage({ displayName: 'Clothing' })).toBe("This doesn't look like clothing");
  });
});
