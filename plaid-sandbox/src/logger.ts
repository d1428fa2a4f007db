/** The slice of a pino-style logger the sandbox uses; Fastify's and pino's loggers both fit. */
export interface SandboxLogger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

export const silentLogger: SandboxLogger = {
  info() {},
  warn() {},
  error() {},
}
