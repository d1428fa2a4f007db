import type { FastifyInstance } from 'fastify'

export type RegisteredRoute = { method: string; url: string }

/**
 * Every route a ready Fastify app serves, read back from `printRoutes()`: Fastify has no route list,
 * and an onRoute hook would have to be in place before buildApp registers its routes. The tree
 * prints each node's path segment indented four columns per level, methods in parentheses.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = []
  const pathAtDepth: string[] = []
  for (const line of app.printRoutes().split('\n')) {
    const branch = line.indexOf('── ')
    if (branch < 0) continue
    const depth = (branch - 1) / 4
    const [, segment = '', methods] = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(branch + 3)) ?? []
    const url = (depth > 0 ? (pathAtDepth[depth - 1] ?? '') : '') + segment
    pathAtDepth[depth] = url
    for (const method of methods?.split(', ') ?? []) routes.push({ method, url })
  }
  return routes
}
