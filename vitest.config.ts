import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Memory tests collect garbage before they measure (global.gc).
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
  },
});
