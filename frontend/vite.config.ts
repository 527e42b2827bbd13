import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The bundle is served by Wails' asset server (production) or by Vite behind
// Wails' dev server (wails dev). Nothing is loaded from the network.
export default defineConfig({
  plugins: [svelte()],
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    strictPort: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
