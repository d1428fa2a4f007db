import Type, { type Static, type TProperties } from 'typebox'

/**
 * Request schemas for every emulated endpoint, written from Plaid's OpenAPI definitions (API version
 * 2020-09-14). They are strict: a field Plaid does not define is rejected with UNKNOWN_FIELDS. Optional
 * fields that the sandbox accepts but does not act on are typed loosely (any object) and listed as
 * "accepted, ignored" in the README.
 */

export const PRODUCTS = [
  'assets',
  'auth',
  'balance',
  'balance_plus',
  'beacon',
  'identity',
  'identity_match',
  'investments',
  'investments_auth',
  'liabilities',
  'payment_initiation',
  'identity_verification',
  'transactions',
  'credit_details',
  'income',
  'income_verification',
  'standing_orders',
  'transfer',
  'employment',
  'recurring_transactions',
  'transactions_refresh',
  'signal',
  'statements',
  'processor_payments',
  'processor_identity',
  'profile',
  'cra_base_report',
  'cra_income_insights',
  'cra_partner_insights',
  'cra_network_insights',
  'cra_cashflow_insights',
  'cra_monitoring',
  'cra_lend_score',
  'cra_plaid_credit_score',
  'layer',
  'pay_by_bank',
  'protect_linked_bank',
  'protect_transactions',
] as const

export const COUNTRY_CODES = [
  'US',
  'GB',
  'ES',
  'NL',
  'FR',
  'IE',
  'CA',
  'DE',
  'IT',
  'PL',
  'DK',
  'NO',
  'SE',
  'EE',
  'LT',
  'LV',
  'PT',
  'BE',
  'AT',
  'FI',
] as const

const LANGUAGES = [
  'da',
  'nl',
  'en',
  'et',
  'fr',
  'de',
  'hi',
  'it',
  'lv',
  'lt',
  'no',
  'pl',
  'pt',
  'ro',
  'es',
  'sv',
  'vi',
] as const

/** `processor` of /processor/token/create, as the spec lists them. */
export const PROCESSORS = [
  'dwolla',
  'galileo',
  'modern_treasury',
  'ocrolus',
  'vesta',
  'drivewealth',
  'vopay',
  'achq',
  'check',
  'checkbook',
  'circle',
  'sila_money',
  'rize',
  'svb_api',
  'unit',
  'wyre',
  'lithic',
  'alpaca',
  'astra',
  'moov',
  'treasury_prime',
  'marqeta',
  'checkout',
  'solid',
  'highnote',
  'gemini',
  'apex_clearing',
  'gusto',
  'adyen',
  'atomic',
  'i2c',
  'wepay',
  'riskified',
  'utb',
  'adp_roll',
  'fortress_trust',
  'bond',
  'bakkt',
  'teal',
  'zero_hash',
  'taba_pay',
  'knot',
  'sardine',
  'alloy',
  'finix',
  'nuvei',
  'layer',
  'boom',
  'paynote',
  'stake',
  'wedbush',
  'esusu',
  'ansa',
  'scribeup',
  'straddle',
  'loanpro',
  'bloom_credit',
  'sfox',
  'brale',
  'parafin',
  'cardless',
  'open_ledger',
  'valon',
  'gainbridge',
  'cardlytics',
  'pinwheel',
  'thread_bank',
  'array',
  'fiant',
  'oatfi',
  'curinos',
  'frame',
  'interchecks',
  'interchange',
  'atomicfi',
] as const

const Product = Type.Enum([...PRODUCTS])
const CountryCode = Type.Enum([...COUNTRY_CODES])
const NonEmptyString = Type.String({ minLength: 1 })
const AnyObject = Type.Object({}, { additionalProperties: true })
const AccountIdsOptions = Type.Object(
  { account_ids: Type.Optional(Type.Array(Type.String())) },
  { additionalProperties: false },
)

function nullable<T extends Parameters<typeof Type.Union>[0][number]>(schema: T) {
  return Type.Union([schema, Type.Null()])
}

/** Every Plaid request may carry the client credentials in its body. */
function plaidRequest<T extends TProperties>(properties: T) {
  return Type.Object(
    { client_id: Type.Optional(Type.String()), secret: Type.Optional(Type.String()), ...properties },
    { additionalProperties: false },
  )
}

const AccessTokenRequest = plaidRequest({ access_token: NonEmptyString })

const IdentityMatchAddress = Type.Object(
  {
    street: Type.Optional(nullable(Type.String())),
    city: Type.Optional(nullable(Type.String())),
    region: Type.Optional(nullable(Type.String())),
    postal_code: Type.Optional(nullable(Type.String())),
    country: Type.Optional(nullable(Type.String())),
  },
  { additionalProperties: false },
)

export const RequestSchemas = {
  '/link/token/create': plaidRequest({
    client_name: NonEmptyString,
    language: Type.Enum([...LANGUAGES]),
    country_codes: Type.Array(CountryCode, { minItems: 1 }),
    user: Type.Optional(
      Type.Object(
        {
          client_user_id: NonEmptyString,
          legal_name: Type.Optional(Type.String()),
          name: Type.Optional(AnyObject),
          phone_number: Type.Optional(nullable(Type.String())),
          phone_number_verified_time: Type.Optional(nullable(Type.String())),
          email_address: Type.Optional(nullable(Type.String())),
          email_address_verified_time: Type.Optional(nullable(Type.String())),
          ssn: Type.Optional(Type.String()),
          date_of_birth: Type.Optional(nullable(Type.String())),
          address: Type.Optional(nullable(AnyObject)),
          id_number: Type.Optional(nullable(AnyObject)),
        },
        { additionalProperties: false },
      ),
    ),
    user_id: Type.Optional(Type.String()),
    user_token: Type.Optional(Type.String()),
    products: Type.Optional(nullable(Type.Array(Product))),
    required_if_supported_products: Type.Optional(nullable(Type.Array(Product))),
    optional_products: Type.Optional(nullable(Type.Array(Product))),
    additional_consented_products: Type.Optional(nullable(Type.Array(Product))),
    webhook: Type.Optional(Type.String()),
    access_token: Type.Optional(nullable(Type.String())),
    link_customization_name: Type.Optional(Type.String()),
    redirect_uri: Type.Optional(Type.String()),
    android_package_name: Type.Optional(Type.String()),
    account_filters: Type.Optional(AnyObject),
    institution_data: Type.Optional(AnyObject),
    auth: Type.Optional(
      Type.Object(
        {
          auth_type_select_enabled: Type.Optional(Type.Boolean()),
          automated_microdeposits_enabled: Type.Optional(Type.Boolean()),
          instant_match_enabled: Type.Optional(Type.Boolean()),
          same_day_microdeposits_enabled: Type.Optional(Type.Boolean()),
          instant_microdeposits_enabled: Type.Optional(Type.Boolean()),
          reroute_to_credentials: Type.Optional(Type.Enum(['OFF', 'OPTIONAL', 'FORCED'])),
          database_match_enabled: Type.Optional(Type.Boolean()),
          database_insights_enabled: Type.Optional(Type.Boolean()),
          flow_type: Type.Optional(Type.Enum(['FLEXIBLE_AUTH'])),
          sms_microdeposits_verification_enabled: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    identity: Type.Optional(AnyObject),
    transactions: Type.Optional(AnyObject),
    hosted_link: Type.Optional(AnyObject),
    update: Type.Optional(
      Type.Object(
        {
          account_selection_enabled: Type.Optional(Type.Boolean()),
          reauthorization_enabled: Type.Optional(Type.Boolean()),
          user: Type.Optional(Type.Boolean()),
          item_ids: Type.Optional(nullable(Type.Array(Type.String()))),
        },
        { additionalProperties: false },
      ),
    ),
  }),
  '/link/token/get': plaidRequest({ link_token: NonEmptyString }),
  '/item/public_token/exchange': plaidRequest({ public_token: NonEmptyString }),
  '/item/get': AccessTokenRequest,
  '/item/remove': plaidRequest({
    access_token: NonEmptyString,
    reason_code: Type.Optional(
      nullable(
        Type.Enum([
          'FRAUD_FIRST_PARTY',
          'FRAUD_FALSE_IDENTITY',
          'FRAUD_ABUSE',
          'FRAUD_OTHER',
          'CONNECTION_IS_NON_FUNCTIONAL',
          'OTHER',
        ]),
      ),
    ),
    reason_note: Type.Optional(nullable(Type.String())),
  }),
  '/item/webhook/update': plaidRequest({
    access_token: NonEmptyString,
    webhook: Type.Optional(nullable(Type.String())),
  }),
  '/item/access_token/invalidate': AccessTokenRequest,
  '/accounts/get': plaidRequest({ access_token: NonEmptyString, options: Type.Optional(AccountIdsOptions) }),
  '/auth/get': plaidRequest({ access_token: NonEmptyString, options: Type.Optional(AccountIdsOptions) }),
  '/identity/get': plaidRequest({ access_token: NonEmptyString, options: Type.Optional(AccountIdsOptions) }),
  '/identity/match': plaidRequest({
    access_token: NonEmptyString,
    user: Type.Optional(
      Type.Object(
        {
          legal_name: Type.Optional(nullable(Type.String())),
          phone_number: Type.Optional(nullable(Type.String())),
          email_address: Type.Optional(nullable(Type.String())),
          address: Type.Optional(nullable(IdentityMatchAddress)),
        },
        { additionalProperties: false },
      ),
    ),
    options: Type.Optional(AccountIdsOptions),
  }),
  '/institutions/get_by_id': plaidRequest({
    institution_id: NonEmptyString,
    country_codes: Type.Array(CountryCode, { minItems: 1 }),
    options: Type.Optional(
      Type.Object(
        {
          include_optional_metadata: Type.Optional(Type.Boolean()),
          include_status: Type.Optional(Type.Boolean()),
          include_auth_metadata: Type.Optional(Type.Boolean()),
          include_payment_initiation_metadata: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
  }),
  '/webhook_verification_key/get': plaidRequest({ key_id: NonEmptyString }),
  '/sandbox/public_token/create': plaidRequest({
    institution_id: NonEmptyString,
    initial_products: Type.Array(Product, { minItems: 1 }),
    options: Type.Optional(
      Type.Object(
        {
          webhook: Type.Optional(Type.String()),
          override_username: Type.Optional(nullable(Type.String())),
          override_password: Type.Optional(nullable(Type.String())),
          transactions: Type.Optional(AnyObject),
          statements: Type.Optional(AnyObject),
          income_verification: Type.Optional(AnyObject),
        },
        { additionalProperties: false },
      ),
    ),
    user_token: Type.Optional(Type.String()),
    user_id: Type.Optional(Type.String()),
  }),
  '/sandbox/item/fire_webhook': plaidRequest({
    access_token: NonEmptyString,
    webhook_type: Type.Optional(
      Type.Enum([
        'AUTH',
        'HOLDINGS',
        'INVESTMENTS_TRANSACTIONS',
        'ITEM',
        'LIABILITIES',
        'TRANSACTIONS',
        'ASSETS',
      ]),
    ),
    webhook_code: Type.Enum([
      'DEFAULT_UPDATE',
      'NEW_ACCOUNTS_AVAILABLE',
      'SMS_MICRODEPOSITS_VERIFICATION',
      'AUTHORIZATION_GRANTED',
      'USER_PERMISSION_REVOKED',
      'USER_ACCOUNT_REVOKED',
      'PENDING_DISCONNECT',
      'RECURRING_TRANSACTIONS_UPDATE',
      'LOGIN_REPAIRED',
      'SYNC_UPDATES_AVAILABLE',
      'PRODUCT_READY',
      'ERROR',
    ]),
  }),
  '/sandbox/item/reset_login': AccessTokenRequest,
  '/processor/token/create': plaidRequest({
    access_token: NonEmptyString,
    account_id: NonEmptyString,
    processor: Type.Enum([...PROCESSORS]),
  }),
  '/sandbox/item/set_verification_status': plaidRequest({
    access_token: NonEmptyString,
    account_id: NonEmptyString,
    verification_status: Type.Enum(['automatically_verified', 'verification_expired']),
  }),
}

export type PlaidPath = keyof typeof RequestSchemas
export type PlaidRequest<P extends PlaidPath> = Static<(typeof RequestSchemas)[P]>
