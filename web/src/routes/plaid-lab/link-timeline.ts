import type {
  PlaidLinkError,
  PlaidLinkOnEventMetadata,
  PlaidLinkOnExitMetadata,
  PlaidLinkOnSuccessMetadata,
} from 'react-plaid-link'
import type { LinkEventReport } from '../../api/plaid.ts'

/** One line of the lab's event timeline: a Link callback as the user needs to see it. */
export type TimelineEntry = {
  id: number
  callback: 'onEvent' | 'onExit' | 'onSuccess'
  name: string
  viewName: string | null
  timestamp: string
  linkSessionId: string | null
  requestId: string | null
  error: { type: string; code: string; message: string } | null
  detail: string | null
}

let nextEntryId = 1

export function entryFromEvent(eventName: string, metadata: PlaidLinkOnEventMetadata): TimelineEntry {
  return {
    id: nextEntryId++,
    callback: 'onEvent',
    name: eventName,
    viewName: metadata.view_name,
    timestamp: metadata.timestamp,
    linkSessionId: metadata.link_session_id,
    requestId: metadata.request_id,
    error:
      metadata.error_code && metadata.error_type
        ? { type: metadata.error_type, code: metadata.error_code, message: metadata.error_message ?? '' }
        : null,
    detail: metadata.institution_name ?? metadata.exit_status ?? metadata.mfa_type,
  }
}

export function entryFromExit(
  error: PlaidLinkError | null,
  metadata: PlaidLinkOnExitMetadata,
): TimelineEntry {
  return {
    id: nextEntryId++,
    callback: 'onExit',
    name: error ? error.error_code : 'User closed Link',
    viewName: null,
    timestamp: new Date().toISOString(),
    linkSessionId: metadata.link_session_id,
    requestId: metadata.request_id,
    error: error ? { type: error.error_type, code: error.error_code, message: error.error_message } : null,
    detail: metadata.status,
  }
}

export function entryFromSuccess(metadata: PlaidLinkOnSuccessMetadata): TimelineEntry {
  const accounts = metadata.accounts.length
  return {
    id: nextEntryId++,
    callback: 'onSuccess',
    name: 'Linked',
    viewName: null,
    timestamp: new Date().toISOString(),
    linkSessionId: metadata.link_session_id,
    requestId: null,
    error: null,
    detail: `${metadata.institution?.name ?? 'Unknown institution'}, ${accounts} account${accounts === 1 ? '' : 's'}`,
  }
}

/** A callback reported in an earlier visit, as Safeclose stored it (no onSuccess: those are not reported). */
export function entryFromStored(report: Partial<LinkEventReport>): TimelineEntry {
  const isExit = report.type === 'exit'
  return {
    id: nextEntryId++,
    callback: isExit ? 'onExit' : 'onEvent',
    name: isExit ? (report.error_code ?? 'User closed Link') : (report.event_name ?? 'EVENT'),
    viewName: report.view_name ?? null,
    timestamp: report.timestamp ?? new Date(0).toISOString(),
    linkSessionId: report.link_session_id ?? null,
    requestId: report.request_id ?? null,
    error:
      report.error_code && report.error_type
        ? { type: report.error_type, code: report.error_code, message: '' }
        : null,
    detail: report.exit_status ?? report.institution_id ?? null,
  }
}

export function reportFromEvent(eventName: string, metadata: PlaidLinkOnEventMetadata): LinkEventReport {
  return {
    type: 'event',
    event_name: eventName,
    view_name: metadata.view_name,
    link_session_id: metadata.link_session_id,
    request_id: metadata.request_id,
    error_type: metadata.error_type,
    error_code: metadata.error_code,
    institution_id: metadata.institution_id,
    exit_status: metadata.exit_status,
    timestamp: metadata.timestamp,
  }
}

export function reportFromExit(
  error: PlaidLinkError | null,
  metadata: PlaidLinkOnExitMetadata,
): LinkEventReport {
  return {
    type: 'exit',
    event_name: 'EXIT',
    view_name: null,
    link_session_id: metadata.link_session_id,
    request_id: metadata.request_id,
    error_type: error?.error_type ?? null,
    error_code: error?.error_code ?? null,
    institution_id: metadata.institution?.institution_id ?? null,
    exit_status: metadata.status,
    timestamp: new Date().toISOString(),
  }
}
