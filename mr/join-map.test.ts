import { describe, expect, it } from 'vitest';
import { mapLine } from './join-map.ts';
import { decodeJoinValue } from './join-values.ts';
import { label, line, prediction, uploadId } from './testing/records.ts';

describe('join mapper (mapLine)', () => {
  it('keys a prediction by its uploadId and keeps what the metrics need', () => {
    const result = mapLine(line(prediction(1, { label: '3', confidence: 0.25 })));
    expect(result).toMatchObject({ kind: 'prediction', key: uploadId(1) });
    if (result.kind !== 'prediction') throw new Error('unreachable');
    expect(decodeJoinValue(result.value)).toEqual({
      kind: 'P',
      predictedAt: '2026-03-01T10:00:00.000Z',
      model: 'digits',
      modelVersion: '1',
      label: '3',
      confidence: 0.25,
    });
  });

  it('tells a label from a prediction by its content and keeps the on-device verdict', () => {
    const record = label(5, 1, {
      label: 'tab\there',
      device: { model: 'digits', modelVersion: '1', label: 'new\nline', confidence: 0.5 },
    });
    const result = mapLine(line(record));
    expect(result.kind).toBe('label');
    if (result.kind !== 'label') throw new Error('unreachable');
    expect(result.key).toBe(uploadId(1));
    expect(result.value).not.toMatch(/\n/);
    expect(result.value.split('\t')).toHaveLength(5);
    expect(decodeJoinValue(result.value)).toMatchObject({
      kind: 'L',
      label: 'tab\there',
      deviceLabel: 'new\nline',
    });
  });

  it('marks a label the app asked for, and reads one without a source as volunteered', () => {
    const asked = mapLine(line(label(5, 1, { source: 'asked' })));
    const old = mapLine(line(label(6, 1)));
    if (asked.kind !== 'label' || old.kind !== 'label') throw new Error('unreachable');
    expect(decodeJoinValue(asked.value)).toMatchObject({ kind: 'L', label: '7', asked: true });
    expect(decodeJoinValue(old.value)).not.toHaveProperty('asked');
  });

  it('accepts CRLF and surrounding blanks, and skips blank lines', () => {
    expect(mapLine(`  ${line(prediction(1))}\r`).kind).toBe('prediction');
    expect(mapLine('')).toEqual({ kind: 'blank' });
    expect(mapLine('   ')).toEqual({ kind: 'blank' });
  });

  it('names what is wrong with a malformed line instead of throwing', () => {
    expect(mapLine('{"uploadId": "trunc')).toEqual({ kind: 'malformed', reason: 'invalid_json' });
    expect(mapLine('[1,2]')).toEqual({ kind: 'malformed', reason: 'not_an_object' });
    expect(mapLine('null')).toEqual({ kind: 'malformed', reason: 'not_an_object' });
    expect(mapLine('{"a":1}')).toEqual({ kind: 'malformed', reason: 'unknown_record' });
    expect(mapLine(line({ ...prediction(1), labelId: 'x' }))).toEqual({
      kind: 'malformed',
      reason: 'unknown_record',
    });
    expect(mapLine(line(prediction(1, { confidence: 1.5 })))).toEqual({
      kind: 'malformed',
      reason: 'invalid_prediction.confidence',
    });
    expect(mapLine(line({ ...prediction(1), topK: [{ label: '', confidence: 1 }] }))).toEqual({
      kind: 'malformed',
      reason: 'invalid_prediction.topK.0.label',
    });
    expect(mapLine(line({ ...label(1, 1), labeledAt: 'yesterday' }))).toEqual({
      kind: 'malformed',
      reason: 'invalid_label.labeledAt',
    });
  });
});
