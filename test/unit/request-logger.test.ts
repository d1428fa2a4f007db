import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { lazyRequestLoggerFactory, loggerOptions } from '../../server/logger.ts'

function capturedLogger(level: string) {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()))
      done()
    },
  })
  return { logger: pino(loggerOptions(level), stream), lines }
}

const requestLogger = (parent: pino.Logger, reqId: string) =>
  lazyRequestLoggerFactory.call(
    {} as FastifyInstance,
    parent,
    { reqId },
    {},
    {} as Parameters<typeof lazyRequestLoggerFactory>[3],
  )

describe('request loggers', () => {
  it('builds no child for a request that logs nothing at an enabled level', () => {
    const { logger, lines } = capturedLogger('warn')
    const child = vi.spyOn(logger, 'child')
    const log = requestLogger(logger, 'r1')
    log.info({ req: { method: 'GET', url: '/api/session' } }, 'incoming request')
    log.debug('details')
    expect(child).not.toHaveBeenCalled()
    expect(lines).toEqual([])
  })

  it('logs with the request id and redaction once a line is due', async () => {
    const { logger, lines } = capturedLogger('warn')
    const log = requestLogger(logger, 'r2')
    log.error({ password: 'hunter2' }, 'request failed')
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ reqId: 'r2', msg: 'request failed', password: '[redacted]' })
  })

  it('logs request lines at info as before', async () => {
    const { logger, lines } = capturedLogger('info')
    requestLogger(logger, 'r3').info('incoming request')
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines[0]).toMatchObject({ reqId: 'r3', msg: 'incoming request' })
  })
})
