import type { FastifyInstance } from 'fastify'
import { plaidError } from '../errors.ts'
import { findInstitution, type InstitutionFixture } from '../fixtures/institutions.ts'
import { type PlaidRequest, RequestSchemas } from '../schemas/plaid-requests.ts'
import { plaidEndpoint, type RouteDependencies } from './route-support.ts'

export function registerInstitutionRoutes(app: FastifyInstance, deps: RouteDependencies): void {
  plaidEndpoint<PlaidRequest<'/institutions/get_by_id'>>(
    app,
    deps,
    '/institutions/get_by_id',
    RequestSchemas['/institutions/get_by_id'],
    (body) => {
      const institution = findInstitution(body.institution_id)
      const isInRequestedCountry = institution?.country_codes.some((code) =>
        (body.country_codes as readonly string[]).includes(code),
      )
      if (!institution || !isInRequestedCountry) throw plaidError('INVALID_INSTITUTION')
      return { institution: institutionView(institution, body.options ?? {}) }
    },
  )
}

/** Optional metadata (url, colour, logo) is absent, not null, unless asked for; as in Plaid. */
function institutionView(
  institution: InstitutionFixture,
  options: NonNullable<PlaidRequest<'/institutions/get_by_id'>['options']>,
): Record<string, unknown> {
  return {
    institution_id: institution.institution_id,
    name: institution.name,
    products: institution.products,
    country_codes: institution.country_codes,
    routing_numbers: institution.routing_numbers,
    oauth: institution.oauth,
    dtc_numbers: [],
    ...(options.include_optional_metadata
      ? { url: institution.url, primary_color: institution.primary_color, logo: null }
      : {}),
    ...(options.include_auth_metadata
      ? {
          auth_metadata: {
            supported_methods: {
              instant_auth: institution.products.includes('auth'),
              instant_match: institution.institution_id === 'ins_109512',
              automated_micro_deposits: institution.institution_id === 'ins_109512',
              instant_micro_deposits: institution.instantMicrodeposits === true,
            },
          },
        }
      : {}),
  }
}
