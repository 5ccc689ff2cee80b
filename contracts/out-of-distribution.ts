/**
 * True when a model's top-1 probability says the image is not what the model knows ("not a digit"):
 * below the threshold fitted on held-out data (`manifest.outOfDistribution`). Models without one never flag.
 * Shared by gpu-host, the PWA's on-device verdict and `npm run eval:models`, so all three agree.
 */
export function isOutOfDistribution(
  manifest: { readonly outOfDistribution?: { readonly threshold: number } | undefined },
  confidence: number,
): boolean {
  const ood = manifest.outOfDistribution;
  return ood !== undefined && confidence < ood.threshold;
}

/** What the app says instead of a confident label, e.g. "This doesn't look like a handwritten digit". */
export function outOfDistributionMessage(manifest: {
  readonly displayName: string;
  readonly outOfDistribution?: { readonly subject: string } | undefined;
}): string {
  return `This doesn't look like ${manifest.outOfDistribution?.subject ?? manifest.displayName.toLowerCase()}`;
}
