/** Debian's Chromium: Playwright's own browser download does not work on these machines. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a quiet, deterministic headless Chromium in a container. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
