import { useId, useState } from 'react'
import {
  type ActionFunctionArgs,
  Form,
  type LoaderFunctionArgs,
  useActionData,
  useLoaderData,
  useNavigation,
} from 'react-router'
import { ApiError } from '../api/client.ts'
import { type InvitationRole, type Members, membersApi } from '../api/members.ts'
import { ROLE_LABELS, type Role } from '../api/session.ts'
import { Notice } from '../components/notice.tsx'
import { formatDateTime } from '../format.ts'
import { useSession } from './app-shell.tsx'
import './admin-members.css'

type MembersLoaderData = { access: 'granted'; members: Members } | { access: 'forbidden'; message: string }

type MembersActionData =
  | { intent: 'invite'; ok: true; email: string; url: string | null }
  | { intent: string; ok: true; message: string }
  | { intent: string; ok: false; message: string }

export async function adminMembersLoader({ request }: LoaderFunctionArgs): Promise<MembersLoaderData> {
  try {
    return { access: 'granted', members: await membersApi.list(request.signal) }
  } catch (error) {
    if (error instanceof ApiError && error.status === 403)
      return { access: 'forbidden', message: error.message }
    throw error
  }
}

export async function adminMembersAction({ request }: ActionFunctionArgs): Promise<MembersActionData> {
  const form = await request.formData()
  const intent = String(form.get('intent') ?? '')
  try {
    switch (intent) {
      case 'invite': {
        const email = String(form.get('email') ?? '').trim()
        const role = String(form.get('role')) as InvitationRole
        const { url } = await membersApi.invite(email, role)
        return { intent, ok: true, email, url }
      }
      case 'revoke':
        await membersApi.revoke(String(form.get('invitation_id')))
        return { intent, ok: true, message: 'Invitation withdrawn.' }
      case 'role':
        await membersApi.changeRole(String(form.get('user_id')), String(form.get('role')) as Role)
        return { intent, ok: true, message: 'Role changed.' }
      case 'remove':
        await membersApi.remove(String(form.get('user_id')))
        return { intent, ok: true, message: 'Member removed; their sessions in this workspace ended.' }
      default:
        return { intent, ok: false, message: 'Unknown action.' }
    }
  } catch (error) {
    if (error instanceof ApiError) return { intent, ok: false, message: error.message }
    throw error
  }
}

export function AdminMembersPage() {
  const data = useLoaderData<typeof adminMembersLoader>()
  const result = useActionData<typeof adminMembersAction>()
  const busy = useNavigation().state !== 'idle'
  const session = useSession()
  const ids = useId()
  const [confirmRemove, setConfirmRemove] = useState<string | null>(null)

  return (
    <>
      <title>Members · Safeclose</title>
      <header className="page-header">
        <h1>Members</h1>
        <p className="page-header__lead">Who works in {session.workspace.name}, and who is invited.</p>
      </header>
      {data.access === 'forbidden' ? (
        <Notice tone="error" title="Administrators only">
          <p>{data.message}</p>
        </Notice>
      ) : (
        <>
          <div aria-live="polite">
            {result?.ok && 'url' in result && (
              <Notice tone="success" title={`Invitation for ${result.email}`}>
                {result.url ? (
                  <>
                    <p>
                      No mail server is configured: hand this link to {result.email} (it works once, for 7
                      days).
                    </p>
                    <p>
                      <code className="break-anywhere">{result.url}</code>
                    </p>
                  </>
                ) : (
                  <p>The invitation was e-mailed.</p>
                )}
              </Notice>
            )}
            {result?.ok && 'message' in result && (
              <Notice tone="success">
                <p>{result.message}</p>
              </Notice>
            )}
            {result && !result.ok && (
              <Notice tone="error" title="That did not work">
                <p>{result.message}</p>
              </Notice>
            )}
          </div>

          <section className="card" aria-labelledby={`${ids}-invite`}>
            <h2 id={`${ids}-invite`} className="card__title">
              Invite a colleague
            </h2>
            <Form method="post" className="form form--inline">
              <input type="hidden" name="intent" value="invite" />
              <div className="field">
                <label htmlFor={`${ids}-email`}>Email</label>
                <input id={`${ids}-email`} name="email" type="email" required autoComplete="off" />
              </div>
              <div className="field">
                <label htmlFor={`${ids}-role`}>Role</label>
                <select id={`${ids}-role`} name="role" defaultValue="manager">
                  <option value="manager">Manager</option>
                  <option value="admin">Administrator</option>
                </select>
              </div>
              <button type="submit" className="button button--primary" disabled={busy}>
                Send invitation
              </button>
            </Form>
          </section>

          <section className="card" aria-labelledby={`${ids}-members`}>
            <h2 id={`${ids}-members`} className="card__title">
              Members
            </h2>
            <div className="table-scroll">
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Two-factor</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.members.members.map((member) => (
                    <tr key={member.user_id}>
                      <td>{member.name}</td>
                      <td>{member.email}</td>
                      <td>
                        <Form method="post" className="inline-form">
                          <input type="hidden" name="intent" value="role" />
                          <input type="hidden" name="user_id" value={member.user_id} />
                          <label className="visually-hidden" htmlFor={`${ids}-role-${member.user_id}`}>
                            Role of {member.name}
                          </label>
                          <select id={`${ids}-role-${member.user_id}`} name="role" defaultValue={member.role}>
                            {(['admin', 'manager', 'signer'] as const).map((role) => (
                              <option key={role} value={role}>
                                {ROLE_LABELS[role]}
                              </option>
                            ))}
                          </select>{' '}
                          <button
                            type="submit"
                            className="button button--secondary button--small"
                            disabled={busy}
                          >
                            Apply
                          </button>
                        </Form>
                      </td>
                      <td>{member.two_factor_enabled ? 'On' : 'Off'}</td>
                      <td>
                        {confirmRemove === member.user_id ? (
                          <Form method="post" className="inline-form" onSubmit={() => setConfirmRemove(null)}>
                            <input type="hidden" name="intent" value="remove" />
                            <input type="hidden" name="user_id" value={member.user_id} />
                            <button
                              type="submit"
                              className="button button--danger button--small"
                              disabled={busy}
                            >
                              Remove {member.name}
                            </button>{' '}
                            <button
                              type="button"
                              className="button button--secondary button--small"
                              onClick={() => setConfirmRemove(null)}
                            >
                              Keep
                            </button>
                          </Form>
                        ) : (
                          <button
                            type="button"
                            className="button button--secondary button--small"
                            onClick={() => setConfirmRemove(member.user_id)}
                            disabled={member.user_id === session.user.id}
                          >
                            Remove…
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>

          <section className="card" aria-labelledby={`${ids}-invitations`}>
            <h2 id={`${ids}-invitations`} className="card__title">
              Open invitations
            </h2>
            {data.members.invitations.length === 0 ? (
              <p className="muted">None.</p>
            ) : (
              <ul className="plain-list">
                {data.members.invitations.map((invitation) => (
                  <li key={invitation.id}>
                    {invitation.email} · {invitation.role === 'admin' ? 'Administrator' : 'Manager'} · until{' '}
                    {formatDateTime(invitation.expires_at)}{' '}
                    <Form method="post" className="inline-form">
                      <input type="hidden" name="intent" value="revoke" />
                      <input type="hidden" name="invitation_id" value={invitation.id} />
                      <button
                        type="submit"
                        className="button button--secondary button--small"
                        disabled={busy}
                      >
                        Withdraw
                      </button>
                    </Form>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </>
  )
}
