import type { HttpMethod, JsonBody } from './api-client.ts'

/** The two calls of an API client (api-client.ts, or a test's own recording variant). */
export type PackageCalls = {
  call(
    method: HttpMethod,
    url: string,
    cookie: string | null,
    payload?: unknown,
  ): Promise<{ body: string; cookies: Array<{ name: string; value: string }> }>
  ok(method: HttpMethod, url: string, cookie: string, payload?: unknown): Promise<JsonBody>
}

/**
 * An active package, made by `manager` (a session cookie), with one Markdown document and one signer
 * (`legalName`, `email`), who has opened their link and reviewed the document: the package's and
 * the signer's ids, and the signer's session cookie. The bank step is where the tests take over.
 */
export async function activeReviewedPackage(
  { call, ok }: PackageCalls,
  manager: string,
  signer: { legalName: string; email: string },
): Promise<{ id: string; signerId: string; signer: string }> {
  const created = await ok('POST', '/api/signings', manager, { title: `Closing for ${signer.email}` })
  await ok('POST', `/api/signings/${created.id}/documents`, manager, {
    title: 'Purchase agreement',
    kind: 'markdown',
    markdown: '# Purchase agreement\n\nThe buyer pays **$1**.',
  })
  await ok('POST', `/api/signings/${created.id}/signers`, manager, {
    legal_name: signer.legalName,
    email: signer.email,
  })
  const activated = await ok('POST', `/api/signings/${created.id}/activate`, manager)
  const token = new URL(activated.invitations[0].url).pathname.split('/').at(-1)
  const opened = await call('POST', '/api/signing-links/open', null, { token })
  const cookie = opened.cookies.find((entry) => entry.name === 'safeclose_session')
  if (!cookie) throw new Error(`open failed: ${opened.body}`)
  const session = `${cookie.name}=${cookie.value}`
  const flow = await ok('GET', '/api/signer/signing', session)
  for (const document of flow.documents) {
    await ok('POST', `/api/signer/signing/documents/${document.id}/reviewed`, session, {})
  }
  return { id: created.id as string, signerId: flow.signer.id as string, signer: session }
}
