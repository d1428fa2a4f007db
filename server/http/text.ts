import type { FastifyServerOptions } from 'fastify'
import Type, { type TStringOptions } from 'typebox'

/**
 * The one string schema for text that comes in with a request (bodies, params, querystrings).
 *
 * JSON can carry strings no database column should hold: `"\u0000"` (PostgreSQL text refuses NUL,
 * which used to surface as a 500) and lone UTF-16 surrogates such as `"\ud800"` (silently stored as
 * U+FFFD once encoded to UTF-8). Every request string is declared with `Text()`, whose `format`
 * refuses both, so such input is a 400 `VALIDATION_FAILED` naming the field, before any handler runs.
 * The check is a function, not a `pattern`, so a field keeps its own pattern, and it costs one
 * native scan even on a megabyte of Markdown.
 */
export const TEXT_FORMAT = 'text'

/** Well-formed UTF-16 (no unpaired surrogate) and no NUL character. */
export function isText(value: string): boolean {
  return value.isWellFormed() && !value.includes('\u0000')
}

export function Text(options: TStringOptions = {}) {
  return Type.String({ ...options, format: TEXT_FORMAT })
}

/** Ajv plugin for Fastify's validator: teaches it the `text` format. */
export function textFormatPlugin(ajv: {
  addFormat(name: string, format: { type: 'string'; validate: (value: string) => boolean }): unknown
}): void {
  ajv.addFormat(TEXT_FORMAT, { type: 'string', validate: isText })
}

export const TEXT_FORMAT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates'

/** Fastify's `ajv.plugins` entry (typed for FastifyServerOptions). */
export const textAjvPlugins = [textFormatPlugin] as unknown as NonNullable<
  NonNullable<FastifyServerOptions['ajv']>['plugins']
>
