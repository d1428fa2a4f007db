import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { emptyState, type SandboxState } from './state.ts'

const STATE_FILE_NAME = 'plaid-sandbox-state.json'

/**
 * Holds the sandbox state in memory and, when a data directory is configured, mirrors it to a
 * JSON file. Writes are coalesced: many mutations in one tick cost one write.
 */
export class StateStore {
  state: SandboxState
  readonly filePath: string | null
  #saveTimer: NodeJS.Timeout | null = null

  constructor(dataDir?: string) {
    this.filePath = dataDir ? join(dataDir, STATE_FILE_NAME) : null
    this.state = this.filePath ? loadState(this.filePath) : emptyState()
  }

  /** Call after every mutation. */
  changed(): void {
    if (!this.filePath || this.#saveTimer) return
    this.#saveTimer = setTimeout(() => this.flush(), 0)
  }

  flush(): void {
    if (this.#saveTimer) clearTimeout(this.#saveTimer)
    this.#saveTimer = null
    if (!this.filePath) return
    const temporaryPath = `${this.filePath}.${process.pid}.tmp`
    // The file holds access tokens and private signing keys: owner-only, and replaced atomically.
    writeFileSync(temporaryPath, JSON.stringify(this.state), { mode: 0o600 })
    renameSync(temporaryPath, this.filePath)
  }

  reset(): void {
    this.state = emptyState()
    this.changed()
  }
}

function loadState(filePath: string): SandboxState {
  mkdirSync(join(filePath, '..'), { recursive: true })
  let text: string
  try {
    text = readFileSync(filePath, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState()
    throw error
  }
  const parsed = JSON.parse(text) as Partial<SandboxState>
  if (parsed.version !== 1)
    throw new Error(`${filePath}: unsupported plaid-sandbox state version ${parsed.version}`)
  return { ...emptyState(), ...parsed } as SandboxState
}
