import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// For `vite` (dev server with hot reload) the API lives on a running Safeclose server.
const devApiOrigin = process.env.SAFECLOSE_DEV_API_ORIGIN ?? 'http://127.0.0.1:3000'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  html: {
    // The server replaces this placeholder in index.html with the per-response CSP nonce.
    cspNonce: 'SAFECLOSE_CSP_NONCE',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // dist/.vite/manifest.json maps each module to its chunk and stylesheets; the server does not serve
    // it (only dist/assets), test/browser/web-css-split.browser.test.ts reads it.
    manifest: true,
  },
  server: {
    proxy: {
      '/api': devApiOrigin,
      '/plaid-sandbox': devApiOrigin,
    },
  },
})
