import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The Go server (web/web.go) embeds dist/app; dist/.gitkeep is committed so the
// embed pattern matches even before the first build.
const devServer = process.env.PATCHMON_DEV_SERVER ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  base: '/',
  server: {
    proxy: {
      '/api': { target: devServer, ws: true, changeOrigin: true },
      '/health': { target: devServer, changeOrigin: true },
      // Branding served by the API server (uploaded logos and favicon, or the defaults).
      '^/assets/(logo_dark\\.png|logo_light\\.png|favicon\\.svg)': { target: devServer, changeOrigin: true },
    },
  },
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    rolldownOptions: {
      // Plugin timing warnings measure how busy the machine is, not the code; on a loaded
      // CI runner they would turn a clean build into a noisy one.
      checks: { bundlerTimings: false },
      output: {
        // Libraries change far less often than the app: separate chunks keep
        // them cached in browsers across dashboard releases.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 30 },
            { name: 'router', test: /node_modules[\\/](react-router|cookie|set-cookie-parser)[\\/]/, priority: 20 },
            { name: 'query', test: /node_modules[\\/](@tanstack|openapi-fetch)[\\/]/, priority: 20 },
          ],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    unstubGlobals: true,
    // Component tests render whole pages; on a busy two-core machine the default 5 s is not
    // always enough, and a timeout there says nothing about the code.
    testTimeout: 30_000,
  },
});
