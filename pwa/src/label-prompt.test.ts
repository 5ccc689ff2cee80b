import { describe, expect, it } from 'vitest';
import { labelPrompt, type PromptInput } from './label-prompt.ts';

const sure: NonNullable<PromptInput['server']> = {
  label: '7',
  confidence: 0.95,
  topK: [
    { label: '7', confidence: 0.95 },
    { label: '1', confidence: 0.03 },
  ],
};
const base: PromptInput = { server: sure, deviceLabel: '7', enabled: true, settled: false };

describe('labelPrompt', () => {
  it('does not ask when the server is sure and the phone agrees', () => {
    expect(labelPrompt(base)).toBeNull();
  });
  it('asks when the phone and the server disagree', () => {
    expect(labelPrompt({ ...base, deviceLabel: '1' })).toBe('disagree');
  });
  it('asks when the verdict is out of distribution', () => {
    expect(labelPrompt({ ...base, server: { ...sure, outOfDistribution: true } })).toBe(
      'out-of-distribution',
    );
  });
  it('asks when the server is unsure, by default below 0.7 or below a given threshold', () => {
    const unsure = { ...sure, confidence: 0.6, topK: [{ label: '7', confidence: 0.6 }] };
    expect(labelPrompt({ ...base, server: unsure })).toBe('unsure');
    expect(labelPrompt({ ...base, server: unsure, unsureBelow: 0.5 })).toBeNull();
  });
  it('asks when the top two are close even though the top one clears the threshold', () => {
    const close = {
      label: '7',
      confidence: 0.55,
      topK: [
        { label: '7', confidence: 0.55 },
        { label: '1', confidence: 0.4 },
      ],
    };
    expect(labelPrompt({ ...base, server: close, unsureBelow: 0.5 })).toBe('unsure');
  });
  it('never asks before the server answered, once settled, or when turned off', () => {
    const disagreeing = { ...base, deviceLabel: '1' };
    expect(labelPrompt({ ...disagreeing, server: null })).toBeNull();
    expect(labelPrompt({ ...disagreeing, settled: true })).toBeNull();
    expect(labelPrompt({ ...disagreeing, enabled: false })).toBeNull();
  });
});
