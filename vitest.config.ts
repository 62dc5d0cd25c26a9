import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: ffmpeg and ONNX Runtime already use both, so files run two at a time.
    maxWorkers: 2,
    pool: 'forks',
  },
});
