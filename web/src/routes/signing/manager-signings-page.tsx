import { useEffect } from 'react'
import {
  type ActionFunctionArgs,
  Form,
  Link,
  type LoaderFunctionArgs,
  redirect,
  useActionData,
  useLoaderData,
  useNavigation,
} from 'react-router'
import { type Refusal, refusalOf } from '../../api/client.ts'
import { signingsApi } from '../../api/signings.ts'
import { Card } from '../../components/card.tsx'
import { InputField, TextAreaField } from '../../components/form-field.tsx'
import { useFocusWhenShown } from '../../focus.ts'
import { formatDateTime } from '../../format.ts'
import { MANAGER_SIGNINGS_PATH } from '../../navigation.ts'
import { PackageStatusBadge } from './badges.tsx'

export { MANAGER_SIGNINGS_PATH } from '../../navigation.ts'

export async function managerSigningsLoader({ request }: LoaderFunctionArgs) {
  return signingsApi.list(request.signal)
}

type CreateResult = Refusal

/** Creates a draft and opens it; a refusal comes back to the form. */
export async function managerSigningsAction({
  request,
}: ActionFunctionArgs): Promise<CreateResult | Response> {
  const form = await request.formData()
  const note = String(form.get('note') ?? '').trim()
  try {
    const created = await signingsApi.create({ title: String(form.get('title') ?? ''), note: note || null })
    return redirect(`${MANAGER_SIGNINGS_PATH}/${created.id}`)
  } catch (error) {
    return refusalOf(error)
  }
}

export function ManagerSigningsPage() {
  const { signings } = useLoaderData<typeof managerSigningsLoader>()
  const refused = useActionData<CreateResult>()
  const navigation = useNavigation()
  const busy = navigation.state === 'submitting'
  const errorRef = useFocusWhenShown<HTMLParagraphElement>(refused)
  const invalid = (name: string) => refused?.field === name
  useEffect(() => {
    if (refused?.field === 'title' || refused?.field === 'note') {
      document.getElementById(`package-${refused.field}`)?.focus()
    }
  }, [refused])

  return (
    <>
      <title>Signing packages · Safeclose</title>
      <header className="page-header">
        <h1>Signing packages</h1>
        <p className="page-header__lead">
          Send documents to signers. Each signer proves which bank account is theirs before signing.
        </p>
      </header>

      <Card titleId="new-package-title" title="New package">
        <Form method="post" className="form">
          <InputField
            id="package-title"
            name="title"
            label="Title"
            required
            maxLength={200}
            aria-invalid={invalid('title') || undefined}
            aria-describedby={invalid('title') ? 'new-package-error' : undefined}
          />
          <TextAreaField
            id="package-note"
            name="note"
            label="Note to signers (optional)"
            maxLength={2000}
            rows={2}
            aria-invalid={invalid('note') || undefined}
            aria-describedby={invalid('note') ? 'new-package-error' : undefined}
          />
          {refused && (
            <p
              className="form-message__error"
              id="new-package-error"
              role="alert"
              tabIndex={-1}
              ref={errorRef}
            >
              {refused.message}
            </p>
          )}
          <div className="form-actions">
            <button type="submit" className="button button--primary" disabled={busy}>
              Create draft
            </button>
          </div>
        </Form>
      </Card>

      <section aria-labelledby="packages-title">
        <h2 id="packages-title" className="section-title">
          Packages in this workspace
        </h2>
        {signings.length === 0 ? (
          <p className="empty-state">No packages yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Status</th>
                  <th scope="col">Signed</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {signings.map((signing) => (
                  <tr key={signing.id}>
                    <th scope="row">
                      <Link to={`${MANAGER_SIGNINGS_PATH}/${signing.id}`}>{signing.title}</Link>
                    </th>
                    <td>
                      <PackageStatusBadge status={signing.status} />
                    </td>
                    <td>
                      {signing.signed_count} / {signing.signer_count}
                    </td>
                    <td>{formatDateTime(signing.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  )
}
