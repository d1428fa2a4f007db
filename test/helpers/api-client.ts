import type { FastifyInstance } from 'fastify'

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions that read them
export type JsonBody = any

/**
 * JSON calls through `app.inject`, as one user (a session cookie) or none. `call` returns the raw
 * response for status and header checks; `ok` insists on a 2xx and returns the parsed body.
 * `app` is read at call time, so a client can be made before the app is built in `beforeAll`.
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
  return { call, ok }
}
