import Fastify from 'fastify'

/**
 * The floor every other figure is compared with: Fastify and Node's HTTP stack with nothing of
 * Safeclose in between. Started by the bench in its own process (BENCH_PORT).
 */
const app = Fastify({ logger: false })
app.get('/bare', async () => ({ ok: true }))

process.once('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})

await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT) })
