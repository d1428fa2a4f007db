/**
 * Paths of this server that other parties are told about (and so must not move): Plaid is given the
 * webhook URL when a Link token is created.
 */
export const WEBHOOK_PATH = '/api/webhooks/plaid'
