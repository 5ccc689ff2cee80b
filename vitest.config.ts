import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'e2e/**', '**/dist/**', '.data/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers; two cores are better spent on fewer, fuller workers.
    maxWorkers: 2,
  },
});
