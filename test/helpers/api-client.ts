import type { FastifyInstance } from 'fastify'
import type { ApiAnswers, ApiRoute } from '../../server/http/contract.ts'

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions that read them
export type JsonBody = any

/** The `:name` parameters of a route as registered, e.g. `{ id, signerId }`. */
type RouteParams<Route extends string> = Route extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & RouteParams<`/${Rest}`>
  : Route extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, never>

/**
 * JSON calls through `app.inject`, as one user (a session cookie) or none. `call` returns the raw
 * response for status and header checks; `ok` insists on a 2xx and returns the parsed body.
 * `answer` is `ok` typed by the API contract (server/http/contract.ts, ADR 0021): the route is named
 * as registered (`'GET /api/signings/:id'`), its parameters filled in, and the body comes back as the
 * route's declared success type. `app` is read at call time, so a client can be made before the app
 * is built in `beforeAll`.
 */
export function apiClient(app: () => FastifyInstance) {
  async function call(method: HttpMethod, url: string, cookie: string | null, payload?: unknown) {
    return app().inject({
      method,
      url,
      headers: cookie ? { cookie } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  }
  async function ok<T = JsonBody>(method: HttpMethod, url: string, cookie: string, payload?: unknown) {
    const response = await call(method, url, cookie, payload)
    if (response.statusCode >= 300)
      throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
    return response.json() as T
  }
  async function answer<Route extends ApiRoute>(
    route: Route,
    cookie: string,
    options: { params?: RouteParams<Route>; payload?: unknown } = {},
  ): Promise<ApiAnswers[Route]> {
    const [method, path = ''] = route.split(' ') as [HttpMethod, string]
    const params = (options.params ?? {}) as Record<string, string>
    const url = path.replaceAll(/:(\w+)/g, (_match, name: string) => {
      const value = params[name]
      if (value === undefined) throw new Error(`${route}: no value for :${name}`)
      return encodeURIComponent(value)
    })
    const response = await call(method, url, cookie, options.payload)
    if (response.statusCode >= 300) throw new Error(`${route}: ${response.statusCode} ${response.body}`)
    return (response.statusCode === 204 ? undefined : response.json()) as ApiAnswers[Route]
  }
  return { call, ok, answer }
}
