import type { ScoredLabel } from '../../contracts/prediction.ts';

/** Below this top-1 confidence the server's verdict is unsure enough that a label teaches the model most. */
export const UNSURE_CONFIDENCE = 0.7;
/** A top-1 this close to the runner-up is a coin toss, whatever its confidence. */
export const NARROW_MARGIN = 0.2;

/** Why the app asks for this label; each reason is a sentence the person reads. */
export type PromptReason = 'disagree' | 'out-of-distribution' | 'unsure';

export const PROMPT_TEXT: Readonly<Record<PromptReason, string>> = {
  disagree: 'The phone and the server disagreed. Which is it?',
  'out-of-distribution': "I wasn't sure this is something I know. What is it?",
  unsure: "I wasn't sure about this one. Which is it?",
};

export interface PromptInput {
  /** The server's verdict; without it the app does not ask (the device alone is not evidence enough). */
  readonly server: {
    readonly label: string;
    readonly confidence: number;
    readonly topK: readonly ScoredLabel[];
    readonly outOfDistribution?: boolean | undefined;
  } | null;
  readonly deviceLabel?: string | undefined;
  /** The person turned asking off. */
  readonly enabled: boolean;
  /** This upload already has a label, or its prompt was dismissed: one prompt per upload at most. */
  readonly settled: boolean;
  readonly unsureBelow?: number;
}

/**
 * Uncertainty sampling: whether to ask for this upload's label, and why. Asks where a label teaches the
 * model most (the phone and the server disagree, the verdict is out of distribution, unsure, or close
 * to its runner-up) and never otherwise; never twice for one upload, never when turned off.
 */
export function labelPrompt(input: PromptInput): PromptReason | null {
  const { server } = input;
  if (!input.enabled || input.settled || server === null) return null;
  if (input.deviceLabel !== undefined && input.deviceLabel !== server.label) return 'disagree';
  if (server.outOfDistribution === true) return 'out-of-distribution';
  if (server.confidence < (input.unsureBelow ?? UNSURE_CONFIDENCE)) return 'unsure';
  const runnerUp = [...server.topK]
    .filter((entry) => entry.label !== server.label)
    .reduce((best, entry) => Math.max(best, entry.confidence), 0);
  return server.confidence - runnerUp < NARROW_MARGIN ? 'unsure' : null;
}
