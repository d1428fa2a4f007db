import { describe, expect, it } from 'vitest'
import { readStandaloneConfig } from '../src/main.ts'

describe('standalone configuration', () => {
  it('defaults to 127.0.0.1:4010, memory-only state and the demo client', () => {
    expect(readStandaloneConfig({})).toEqual({
      host: '127.0.0.1',
      port: 4010,
      dataDir: undefined,
      clients: undefined,
    })
  })

  it('reads the data directory and client pairs', () => {
    const config = readStandaloneConfig({
      PLAID_SANDBOX_HOST: '0.0.0.0',
      PLAID_SANDBOX_PORT: '0',
      PLAID_SANDBOX_DATA_DIR: '/tmp/sandbox',
      PLAID_SANDBOX_CLIENTS: 'one:secret-1, two:secret:with:colons',
    })
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 0,
      dataDir: '/tmp/sandbox',
      clients: [
        { clientId: 'one', secret: 'secret-1' },
        { clientId: 'two', secret: 'secret:with:colons' },
      ],
    })
  })

  it('lists every invalid variable', () => {
    expect(() =>
      readStandaloneConfig({ PLAID_SANDBOX_PORT: '70000', PLAID_SANDBOX_CLIENTS: 'no-secret' }),
    ).toThrow(/PLAID_SANDBOX_PORT[\s\S]*PLAID_SANDBOX_CLIENTS/)
  })
})
