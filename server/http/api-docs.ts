import fastifySwagger from '@fastify/swagger'
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify'
import Type from 'typebox'
import packageJson from '../../package.json' with { type: 'json' }
import { STATUS_BY_CODE } from '../errors.ts'
import { SESSION_COOKIE } from '../modules/auth/session-guard.ts'
import { type Access, API_TAGS, findApiOperation } from './api-operations.ts'

export const API_DOCS_PATH = '/api/docs'
export const SESSION_SECURITY_SCHEME = 'sessionCookie'

/** The body of every error answer (`sendError` in error-handler.ts). */
const ApiErrorSchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.Enum(Object.keys(STATUS_BY_CODE)),
        message: Type.String({ description: 'Meant for people; safe to show.' }),
      },
      {
        description:
          'Some errors add fields: `reason` (webhooks), `step` (signing), `plaid_request_id` and ' +
          '`plaid_error_code` (Plaid failures).',
      },
    ),
    request_id: Type.String({ description: "The request's id in the server log." }),
  },
  { description: 'The one error shape of the API; `error.code` decides the HTTP status.' },
)

const ACCESS_NOTE: Record<Access, string> = {
  public: 'No session needed.',
  session: 'Needs a session; one opened from a signing link is enough.',
  signer: 'Needs a session opened from a signing link.',
  manager: 'Needs a password session of an admin or a manager.',
  admin: 'Needs a password session of an admin.',
}

/**
 * Serves the OpenAPI 3.1 description of the JSON API at GET /api/docs, built by @fastify/swagger
 * from the schemas the routes declare. Register it before the routes: it learns them through an
 * onRoute hook. Documented are the /api routes (but this one) and the health probes; pages,
 * static files and the embedded Plaid sandbox are not Safeclose's API.
 */
export async function registerApiDocs(app: FastifyInstance, options: { publicUrl: string }): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      // 3.1 schemas are JSON Schema 2020-12, so the TypeBox schemas (null unions, const) fit as they are.
      openapi: '3.1.0',
      info: {
        title: 'Safeclose API',
        version: packageJson.version,
        description: `Sign in with \`POST /api/auth/sign-in/email\`; the \`${SESSION_COOKIE}\` cookie it sets is the credential of every other call. State-changing browser requests must come from Safeclose's own origin.`,
      },
      servers: [{ url: options.publicUrl }],
      tags: Object.entries(API_TAGS).map(([name, description]) => ({ name, description })),
      security: [{ [SESSION_SECURITY_SCHEME]: [] }],
      components: {
        securitySchemes: {
          [SESSION_SECURITY_SCHEME]: {
            type: 'apiKey',
            in: 'cookie',
            name: SESSION_COOKIE,
            description: 'Set by sign-in or by opening a signing link; httpOnly, SameSite=Lax.',
          },
        },
        schemas: { ApiError: ApiErrorSchema },
        responses: {
          Error: {
            description: 'Any failure; `error.code` says which.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
          },
        },
      },
    },
    stripBasePath: false,
    transform: ({ schema, url, route }) => ({ url, schema: describeRoute(schema, url, route) }),
    transformObject: (document) => {
      if (!('openapiObject' in document)) throw new Error('api-docs: expected an OpenAPI document')
      return withErrorResponses(document.openapiObject)
    },
  })

  app.get(API_DOCS_PATH, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(app.swagger()),
  )
}

function describeRoute(schema: FastifySchema | undefined, url: string, route: RouteOptions): FastifySchema {
  const operation = findApiOperation(String(route.method), url)
  const isApi = url.startsWith('/api/') && url !== API_DOCS_PATH
  if (!isApi && !operation) return { ...schema, hide: true }
  // An /api route missing from the catalogue is still listed (and the docs test names it).
  if (!operation) return { ...schema }
  return {
    ...schema,
    summary: operation.summary,
    description: [operation.description, ACCESS_NOTE[operation.access]].filter(Boolean).join(' '),
    tags: [operation.tag],
    ...(operation.access === 'public' ? { security: [] } : {}),
    // Machine-readable twin of the note above; the docs test checks it against the route's guard.
    // (`x-` keys reach the operation as they are; FastifySchema has no type for them.)
    ...({ 'x-safeclose-access': operation.access } as FastifySchema),
  }
}

/**
 * Every API operation can fail with the common error shape; one reusable response says so. The
 * health probes answer their own shape, so they keep only what they declare.
 */
function withErrorResponses<T extends { paths?: object }>(document: T): T {
  const paths = Object.entries(document.paths ?? {}) as [string, Record<string, unknown>][]
  for (const [path, pathItem] of paths) {
    if (!path.startsWith('/api/')) continue
    for (const operation of Object.values(pathItem) as { responses?: Record<string, unknown> }[]) {
      if (!operation.responses) continue
      operation.responses = { ...operation.responses, default: { $ref: '#/components/responses/Error' } }
    }
  }
  return document
}
