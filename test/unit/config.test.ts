import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config.ts'

describe('loadConfig', () => {
  it('gives the embedded demo defaults on an empty environment', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://127.0.0.1:3000',
      database: { kind: 'pglite' },
      shouldSeedDemo: true,
      plaid: {
        defaultEnvironment: 'emulator',
        isSandboxMounted: true,
        emulatorUrl: 'http://127.0.0.1:3000/plaid-sandbox',
      },
    })
  })

  it('never seeds or mounts the sandbox for an external database unless asked', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://db.internal/safeclose' })
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://db.internal/safeclose' })
    expect(config.shouldSeedDemo).toBe(false)
    expect(config.plaid.isSandboxMounted).toBe(false)
    expect(loadConfig({ DATABASE_URL: 'postgres://x/y', SAFECLOSE_SEED_DEMO: '1' }).shouldSeedDemo).toBe(true)
  })

  it('has the webhook hardening defaults, and takes smaller values for tests', () => {
    expect(loadConfig({}).webhooks).toEqual({
      keyFetchesPerMinute: 10,
      groupCommitMaxBatch: 64,
      groupCommitWindowMs: 5,
      itemWaitSeconds: 600,
      itemWaitFirstRetrySeconds: 5,
    })
    expect(
      loadConfig({ WEBHOOK_ITEM_WAIT_SECONDS: '0', WEBHOOK_ITEM_WAIT_FIRST_RETRY_SECONDS: '0.5' }).webhooks,
    ).toMatchObject({ itemWaitSeconds: 0, itemWaitFirstRetrySeconds: 0.5 })
  })

  it('seals with a generated demo certificate unless SEAL_P12_PATH names a PKCS#12', () => {
    expect(loadConfig({}).sealP12).toBeNull()
    expect(
      loadConfig({ SEAL_P12_PATH: '/etc/safeclose/seal.p12', SEAL_P12_PASSWORD: 's3cret' }).sealP12,
    ).toEqual({
      path: '/etc/safeclose/seal.p12',
      password: 's3cret',
    })
    expect(loadConfig({ SEAL_P12_PATH: '/etc/safeclose/seal.p12' }).sealP12?.password).toBe('')
    expect(() => loadConfig({ SEAL_P12_PASSWORD: 's3cret' })).toThrow(ConfigError)
    expect(loadConfig({}).sealTsaUrl).toBeNull()
    expect(loadConfig({ SEAL_TSA_URL: 'http://tsa.example.test/tsr' }).sealTsaUrl).toBe(
      'http://tsa.example.test/tsr',
    )
    expect(() => loadConfig({ SEAL_TSA_URL: 'ftp://tsa.example.test' })).toThrow(ConfigError)
  })

  it('reads the job settings as JOB_*, and still takes their old WEBHOOK_* names', () => {
    expect(loadConfig({}).jobs).toMatchObject({
      workersInProcess: true,
      concurrency: 2,
      retryLimit: 8,
      retryDelaySeconds: 30,
    })
    const renamed = {
      workersInProcess: false,
      concurrency: 4,
      retryLimit: 3,
      retryDelaySeconds: 0,
    }
    expect(
      loadConfig({
        JOB_WORKERS_IN_PROCESS: 'false',
        JOB_WORKER_CONCURRENCY: '4',
        JOB_RETRY_LIMIT: '3',
        JOB_RETRY_DELAY_SECONDS: '0',
      }).jobs,
    ).toMatchObject(renamed)
    expect(
      loadConfig({
        WEBHOOK_WORKERS_IN_PROCESS: 'off',
        WEBHOOK_WORKER_CONCURRENCY: '4',
        WEBHOOK_RETRY_LIMIT: '3',
        WEBHOOK_RETRY_DELAY_SECONDS: '0',
      }).jobs,
    ).toMatchObject(renamed)
    // Both names with the same value is fine; with different values nobody can tell which was meant.
    expect(loadConfig({ JOB_RETRY_LIMIT: '3', WEBHOOK_RETRY_LIMIT: '3' }).jobs.retryLimit).toBe(3)
    expect(() => loadConfig({ JOB_RETRY_LIMIT: '3', WEBHOOK_RETRY_LIMIT: '5' })).toThrow(
      /JOB_RETRY_LIMIT and its old name WEBHOOK_RETRY_LIMIT/,
    )
    // An invalid value is reported under the name that was set.
    expect(() => loadConfig({ WEBHOOK_RETRY_LIMIT: 'many' })).toThrow(/WEBHOOK_RETRY_LIMIT/)
    expect(() => loadConfig({ JOB_WORKER_CONCURRENCY: '0' })).toThrow(/JOB_WORKER_CONCURRENCY/)
  })

  it('treats empty strings as unset, like the .env.example template', () => {
    expect(loadConfig({ PORT: '', PLAID_ENV: '' }).port).toBe(3000)
  })

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['PLAID_ENV', { PLAID_ENV: 'staging' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://nope' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'https://safeclose.example/app' }],
    ['SAFECLOSE_SEED_DEMO', { SAFECLOSE_SEED_DEMO: 'maybe' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['PLAID_SANDBOX_WEBHOOK_ALLOWLIST', { PLAID_SANDBOX_WEBHOOK_ALLOWLIST: 'https://hooks.example/path' }],
    ['PLAID_SANDBOX_WEBHOOK_ALLOWLIST', { PLAID_SANDBOX_WEBHOOK_ALLOWLIST: 'hooks.example' }],
    ['PLAID_SANDBOX_WEBHOOK_ALLOWLIST', { PLAID_SANDBOX_WEBHOOK_ALLOWLIST: 'http://[bad' }],
    ['WEBHOOK_KEY_FETCHES_PER_MINUTE', { WEBHOOK_KEY_FETCHES_PER_MINUTE: '1' }],
    ['WEBHOOK_ITEM_WAIT_SECONDS', { WEBHOOK_ITEM_WAIT_SECONDS: '-1' }],
    ['WEBHOOK_ITEM_WAIT_FIRST_RETRY_SECONDS', { WEBHOOK_ITEM_WAIT_FIRST_RETRY_SECONDS: '0.1' }],
  ])('names %s when it is invalid', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(new RegExp(variable))
  })

  it('trusts browser origins from PUBLIC_URL only; the loopback spellings only for the demo without it', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://closings.example' }).trustedOrigins).toEqual([
      'https://closings.example',
    ])
    expect(loadConfig({ PORT: '8080' }).trustedOrigins).toEqual([
      'http://127.0.0.1:8080',
      'http://localhost:8080',
      'http://[::1]:8080',
    ])
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }).trustedOrigins).toEqual(['http://0.0.0.0:8080'])
  })

  it("lets the mounted sandbox send webhooks to PUBLIC_URL's origin unless told otherwise", () => {
    expect(loadConfig({ PUBLIC_URL: 'https://closings.example' }).plaid.sandboxWebhookAllowlist).toEqual([
      'https://closings.example',
    ])
    expect(
      loadConfig({ PLAID_SANDBOX_WEBHOOK_ALLOWLIST: 'https://Hooks.Example:443, http://127.0.0.1:9000' })
        .plaid.sandboxWebhookAllowlist,
    ).toEqual(['https://hooks.example', 'http://127.0.0.1:9000'])
  })
})
