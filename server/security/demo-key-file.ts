import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { generateKeyEntry } from './keyring.ts'

/**
 * The embedded demo's keyring: a key file under the data directory, created on first start, so
 * `npm start` can store access tokens out of the box. Only serve.ts calls this, and only for the
 * embedded database; a start against a PostgreSQL server never invents a key.
 */
export async function loadOrCreateDemoKeyFile(
  dataDir: string,
): Promise<{ spec: string; isCreated: boolean }> {
  const file = path.join(dataDir, 'encryption-keys')
  const existing = await readFile(file, 'utf8').catch(() => null)
  if (existing?.trim()) return { spec: existing.trim(), isCreated: false }
  await mkdir(dataDir, { recursive: true })
  const spec = generateKeyEntry('demo1')
  // 'wx' fails if another process created the file meanwhile; then that file wins.
  try {
    await writeFile(file, `${spec}\n`, { mode: 0o600, flag: 'wx' })
    return { spec, isCreated: true }
  } catch {
    return { spec: (await readFile(file, 'utf8')).trim(), isCreated: false }
  }
}
