import Type from 'typebox'

/**
 * Success answers that are not a JSON body, declared on routes so the OpenAPI document describes
 * them and the response-schema test finds no route without one (ADR 0021). Fastify runs its JSON
 * serializer only on objects: a Buffer, a stream, or a string sent with its own content type goes
 * out as it is, so these schemas describe the answer without touching it.
 */

/** 204: no body at all (the handler calls `reply.status(204).send()`). */
export const NoContent = Type.Unsafe<undefined>(Type.Null({ description: 'No content' }))

/** A PDF's bytes, served inline (`sendInlinePdf`). */
export const PdfResponse = {
  description: 'The PDF file, served inline.',
  content: { 'application/pdf': { schema: Type.String({ contentMediaType: 'application/pdf' }) } },
}

/** An HTML page sent as a string with `text/html` (the completion certificate). */
export const HtmlResponse = {
  description: 'An HTML page.',
  content: { 'text/html': { schema: Type.String({ contentMediaType: 'text/html' }) } },
}
