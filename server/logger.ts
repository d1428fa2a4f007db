import type { LoggerOptions } from 'pino'

/** Keys whose values must never reach a log line, at any of the depths our log objects use. */
const SECRET_KEYS = [
  'password',
  'secret',
  'access_token',
  'public_token',
  'accessToken',
  'publicToken',
  'client_secret',
  'PLAID-SECRET',
  'cookie',
  'set-cookie',
  'authorization',
  'plaid-verification',
]

function redactionPaths(): string[] {
  const paths: string[] = []
  for (const key of SECRET_KEYS) {
    const segment = /^[A-Za-z_]\w*$/.test(key) ? key : `["${key}"]`
    const join = (prefix: string) =>
      segment.startsWith('[') ? `${prefix}${segment}` : `${prefix}.${segment}`
    paths.push(segment.startsWith('[') ? segment : key, join('*'), join('*.*'), join('*.*.*'))
  }
  // An axios error (thrown by the Plaid SDK) carries the request config, whose headers hold the
  // Plaid secret: drop those subtrees whole wherever an error is logged.
  paths.push('err.config', 'err.request', 'err.response.config', 'error.config', 'error.request')
  return paths
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactionPaths(), censor: '[redacted]' },
  }
}
