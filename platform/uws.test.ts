import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertNativeUws, UWS_BUILDS, uWS, uwsBuild } from './uws.ts';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};

const node = Number(process.versions.node.split('.')[0]);
const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
const [major = 0, minor = 0] = (report?.header?.glibcVersionRuntime ?? '0.0').split('.').map(Number);
/** Node ≤ 20 loads the trufflesuite build (glibc ≥ 2.27); Node 22+ only the btc-vision one (glibc ≥ 2.38). */
const nativeBuildExpected = node <= 20 || major > 2 || (major === 2 && minor >= 38);

describe('the uWebSockets.js seam', () => {
  // Skipped in the Node 24 pass on Debian 12 (glibc 2.36): no build has a binary for that pair, which
  // is why that pass leaves out the gateway and the gpu-host.
  it.skipIf(!nativeBuildExpected)(
    'loads a native build on this Node, preferring the one built for Node 24',
    () => {
      expect(() => assertNativeUws()).not.toThrow();
      expect(UWS_BUILDS).toContain(uwsBuild);
      expect(UWS_BUILDS[0]).toBe('@btc-vision/uwebsockets.js');
      // On Node 20 with glibc < 2.38 (Debian 12) only the trufflesuite build loads; on Node 24 with
      // glibc ≥ 2.38 (Ubuntu 24.04, the hosts) the btc-vision one does.
      if (node >= 21) expect(uwsBuild).toBe('@btc-vision/uwebsockets.js');
      expect(typeof uWS.App).toBe('function');
    },
  );

  it('installs every build with the production dependencies, so npm ci on a host gets both', () => {
    for (const build of UWS_BUILDS) expect(manifest.dependencies[build]).toMatch(/^\d+\.\d+\.\d+/);
  });
});
