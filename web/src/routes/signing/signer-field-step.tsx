import '@fontsource/dancing-script/400.css'
import { type FormEvent, type ReactNode, useEffect, useMemo, useState } from 'react'
import { useFetcher } from 'react-router'
import {
  type AdoptedMark,
  FIELD_TYPE_LABELS,
  type SignerField,
  type SignerFlow,
  type SignInput,
  signerApi,
} from '../../api/signings.ts'
import { Notice } from '../../components/notice.tsx'
import { useFocusWhenShown } from '../../focus.ts'
import { asStampedSans, fittedFontSize, useFontsReady } from '../../pdf/fitted-text.ts'
import { type PageGeometry, PdfPages, usePageGeometry } from '../../pdf/pdf-pages.tsx'
import { accountLabel, OwnershipNotice, VerdictBadge } from './badges.tsx'
import { initialsOf, readingOrder } from './field-geometry.ts'
import { SignaturePadInput } from './signature-pad-input.tsx'
import type { SignerFlowActionResult } from './signer-flow-page.tsx'
import './signer-field-step.css'

/** An adopted mark as the page holds it: typed (drawn from the typed name) or a drawn PNG. */
type Adopted = { kind: 'typed' } | { kind: 'drawn'; dataUrl: string }
type Mark = 'signature' | 'initials'
type Values = Record<string, string | boolean>
type PlacedField = SignerField & { documentId: string; documentTitle: string }

// The faces the sealed PDF stamps with: Helvetica (metric-compatible Arial/Liberation Sans on
// screens) for text, Dancing Script for typed signatures.
const STAMP_SANS = 'Helvetica, Arial, "Liberation Sans", sans-serif'
const STAMP_SCRIPT = '"Dancing Script", cursive'

/** A field's size on screen, from its fractions and the page's geometry. */
function boxPx(field: SignerField, page: PageGeometry | null) {
  return page ? { widthPx: field.width * page.widthPx, heightPx: field.height * page.heightPx } : null
}

/** The font size (px) the server stamps `text` at in this field (see `drawFitted` in seal-pdf.ts). */
function stampSize(
  text: string,
  field: SignerField,
  page: PageGeometry | null,
  kind: 'script' | 'sans',
): number | undefined {
  const box = boxPx(field, page)
  if (!box || !page) return undefined
  return kind === 'script'
    ? fittedFontSize(text, STAMP_SCRIPT, box, page.pxPerPt, 0.85, 36)
    : fittedFontSize(text, STAMP_SANS, box, page.pxPerPt, 0.7, 14)
}

/** The date the server stamps in `date_signed` fields (UTC, ISO 8601). */
export function stampedDate(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10)
}

/**
 * Signing with fields: the signer's pages (pdf.js) with their own fields in place, text and
 * checkboxes filled on the page, a signature and initials adopted once (typed in the script font
 * or drawn) and shown in every field exactly as they will be stamped, and a "Next field" guide.
 */
export function FieldSignStep({ flow }: { flow: SignerFlow }) {
  const [typedName, setTypedName] = useState('')
  const [consent, setConsent] = useState(false)
  const [marks, setMarks] = useState<Record<Mark, Adopted | null>>({ signature: null, initials: null })
  const [values, setValues] = useState<Values>({})
  // Signing goes through the page's route action; the loader then reads the finished flow.
  const fetcher = useFetcher<SignerFlowActionResult>()
  const busy = fetcher.state !== 'idle'
  const error = !busy && fetcher.data && !fetcher.data.ok ? fetcher.data.message : null
  const errorRef = useFocusWhenShown<HTMLParagraphElement>(error)
  // Measure with the real faces: re-render once the script font has loaded.
  useFontsReady()
  useEffect(() => {
    void document.fonts.load(`16px ${STAMP_SCRIPT}`)
  }, [])

  const fields = useMemo(() => placedFields(flow), [flow])
  const needs: Record<Mark, boolean> = {
    signature: fields.some((field) => field.type === 'signature'),
    initials: fields.some((field) => field.type === 'initials'),
  }
  // What the server stamps: the legal name (a typed signature, the name fields), and its initials.
  const name = flow.signer.legal_name.trim()
  const isFilled = (field: PlacedField) => {
    switch (field.type) {
      case 'signature':
      case 'initials':
        return marks[field.type] !== null
      case 'name':
      case 'date_signed':
        return true
      case 'text':
        return typeof values[field.id] === 'string' && (values[field.id] as string).trim() !== ''
      case 'checkbox':
        return values[field.id] === true
    }
  }
  // Name and date fields are Safeclose's to fill: the guide counts what the signer has to do.
  const required = fields.filter(
    (field) => field.required && field.type !== 'name' && field.type !== 'date_signed',
  )
  const missing = required.filter((field) => !isFilled(field))
  // Text the PDF's Helvetica cannot print (it stamps "?" instead): named before signing.
  const unprintable = fields
    .filter((field) => {
      const value = field.type === 'name' ? name : field.type === 'text' ? String(values[field.id] ?? '') : ''
      return value !== asStampedSans(value)
    })
    .map((field) =>
      field.label ? `“${field.label}”` : `the ${FIELD_TYPE_LABELS[field.type].toLowerCase()} field`,
    )
    .filter((label, index, all) => all.indexOf(label) === index)

  function goToNext() {
    const next = missing[0]
    if (!next) {
      document.getElementById('consent')?.focus()
      return
    }
    // A signature or initials field without an adopted mark sends the signer to the adoption panel.
    const needsMark = (next.type === 'signature' || next.type === 'initials') && !marks[next.type]
    const target = document.getElementById(needsMark ? `adopt-${next.type}` : `field-${next.id}`)
    target?.scrollIntoView({ block: 'center', behavior: 'smooth' })
    target?.focus({ preventScroll: true })
  }

  async function submit(event: FormEvent) {
    event.preventDefault()
    const toBody = (mark: Adopted | null): AdoptedMark | undefined =>
      !mark
        ? undefined
        : mark.kind === 'typed'
          ? { kind: 'typed' }
          : { kind: 'drawn', png_base64: mark.dataUrl.replace(/^data:image\/png;base64,/, '') }
    const body: Values = {}
    for (const field of fields) {
      if (field.type === 'checkbox') body[field.id] = values[field.id] === true
      if (field.type === 'text' && typeof values[field.id] === 'string' && values[field.id] !== '') {
        body[field.id] = values[field.id] as string
      }
    }
    const input: SignInput = {
      typed_name: typedName,
      signature: needs.signature ? toBody(marks.signature) : undefined,
      initials: needs.initials ? toBody(marks.initials) : undefined,
      values: body,
    }
    await fetcher.submit({ intent: 'sign', input } as never, { method: 'post', encType: 'application/json' })
  }

  const stamp = (field: PlacedField, page: PageGeometry | null): ReactNode => {
    if (field.type === 'signature' || field.type === 'initials') {
      const mark = marks[field.type]
      if (!mark) {
        return (
          <button type="button" id={`field-${field.id}`} className="signer-field__prompt" onClick={goToNext}>
            {field.type === 'signature' ? 'Sign here' : 'Initial here'}
          </button>
        )
      }
      const text = field.type === 'signature' ? name : initialsOf(name)
      return (
        <MarkView
          id={`field-${field.id}`}
          mark={mark}
          text={text}
          label={`${FIELD_TYPE_LABELS[field.type]}: as it will be stamped`}
          fontSize={stampSize(text, field, page, 'script')}
        />
      )
    }
    if (field.type === 'name') {
      return (
        <span
          id={`field-${field.id}`}
          className="signer-field__text"
          tabIndex={-1}
          style={{ fontSize: stampSize(asStampedSans(name), field, page, 'sans') }}
        >
          {asStampedSans(name)}
        </span>
      )
    }
    if (field.type === 'date_signed') {
      return (
        <span
          id={`field-${field.id}`}
          className="signer-field__text"
          tabIndex={-1}
          style={{ fontSize: stampSize(stampedDate(), field, page, 'sans') }}
        >
          {stampedDate()}
        </span>
      )
    }
    if (field.type === 'checkbox') {
      // The stamp is a square as tall as the box's shorter side, at its bottom-left corner.
      const box = boxPx(field, page)
      const side = box ? Math.min(box.widthPx, box.heightPx) : undefined
      return (
        <input
          style={side ? { width: `${side}px`, height: `${side}px` } : undefined}
          id={`field-${field.id}`}
          type="checkbox"
          className="signer-field__checkbox"
          aria-label={field.label || `Checkbox on page ${field.page}`}
          checked={values[field.id] === true}
          onChange={(e) => setValues({ ...values, [field.id]: e.target.checked })}
        />
      )
    }
    const value = typeof values[field.id] === 'string' ? (values[field.id] as string) : ''
    return (
      <input
        style={{ fontSize: stampSize(value.trim() || 'M', field, page, 'sans') }}
        id={`field-${field.id}`}
        className="signer-field__input"
        aria-label={field.label || `Text on page ${field.page}`}
        placeholder={field.label ?? ''}
        value={value}
        maxLength={500}
        onChange={(e) => setValues({ ...values, [field.id]: e.target.value })}
      />
    )
  }

  const documents = flow.documents.filter((document) => (document.fields?.length ?? 0) > 0)
  return (
    <form className="field-sign" onSubmit={submit} aria-labelledby="sign-title">
      <section className="card" aria-labelledby="sign-title">
        <h2 id="sign-title" className="card__title">
          Sign
        </h2>
        {flow.bank && (
          <>
            <p className="toolbar">
              Payout account: <strong>{accountLabel(flow.bank)}</strong>{' '}
              <VerdictBadge verdict={flow.bank.verdict} />
            </p>
            <OwnershipNotice bank={flow.bank} legalName={flow.signer.legal_name} />
          </>
        )}
        <div className="field">
          <label htmlFor="typed-name">Type your full legal name</label>
          <input
            id="typed-name"
            value={typedName}
            onChange={(e) => setTypedName(e.target.value)}
            placeholder={flow.signer.legal_name}
            required
            autoComplete="name"
          />
          <p className="muted">It must match the name on your invitation: {flow.signer.legal_name}.</p>
        </div>
        {(['signature', 'initials'] as const)
          .filter((mark) => needs[mark])
          .map((mark) => (
            <AdoptMark
              key={mark}
              mark={mark}
              text={mark === 'signature' ? name : initialsOf(name)}
              adopted={marks[mark]}
              onAdopt={(adopted) => setMarks((current) => ({ ...current, [mark]: adopted }))}
            />
          ))}
      </section>

      {documents.map((document) => (
        <section key={document.id} className="card" aria-label={`Fields to fill in ${document.title}`}>
          <h3 className="card__title">{document.title}</h3>
          <PdfPages
            url={signerApi.documentPdfUrl(document.id)}
            title={document.title}
            overlay={(page) =>
              fields
                .filter((field) => field.documentId === document.id && field.page === page)
                .map((field) => (
                  <SignerFieldBox key={field.id} field={field} isFilled={isFilled(field)}>
                    {(page) => stamp(field, page)}
                  </SignerFieldBox>
                ))
            }
          />
        </section>
      ))}

      <section className="field-guide" aria-label="Signing guide">
        <span role="status">
          {missing.length === 0
            ? 'All required fields are filled.'
            : `${required.length - missing.length} of ${required.length} required fields filled`}
        </span>
        <button type="button" className="button button--secondary" onClick={goToNext}>
          {missing.length === 0 ? 'Review and sign' : 'Next field'}
        </button>
      </section>

      {unprintable.length > 0 && (
        <Notice tone="warning" title="Some characters will print as “?”">
          <p>
            The signed PDF prints text in a standard font that has no glyph for some characters in{' '}
            {unprintable.join(', ')}. They will appear as “?” there (Safeclose's records keep them exactly).
          </p>
        </Notice>
      )}
      <section className="card" aria-label="Consent">
        <label className="checkbox">
          <input
            id="consent"
            type="checkbox"
            checked={consent}
            onChange={(e) => setConsent(e.target.checked)}
            required
          />
          I agree that my adopted signature and typed name are my electronic signature on the documents above.
        </label>
        {error && (
          <p className="form-message__error" role="alert" tabIndex={-1} ref={errorRef}>
            {error}
          </p>
        )}
        <div className="form-actions">
          <button
            type="submit"
            className="button button--primary"
            disabled={busy || !consent || missing.length > 0}
          >
            Sign documents
          </button>
        </div>
      </section>
    </form>
  )
}

function placedFields(flow: SignerFlow): PlacedField[] {
  return flow.documents.flatMap((document) =>
    [...(document.fields ?? [])]
      .sort(readingOrder)
      .map((field) => ({ ...field, documentId: document.id, documentTitle: document.title })),
  )
}

/** A field's box on its page; `children` draws its content with the page's geometry. */
function SignerFieldBox({
  field,
  isFilled,
  children,
}: {
  field: PlacedField
  isFilled: boolean
  children(page: PageGeometry | null): ReactNode
}) {
  const page = usePageGeometry()
  return (
    <div
      className="signer-field"
      data-type={field.type}
      data-filled={isFilled}
      data-required={field.required}
      title={field.label ?? FIELD_TYPE_LABELS[field.type]}
      style={{
        left: `${field.x * 100}%`,
        top: `${field.y * 100}%`,
        width: `${field.width * 100}%`,
        height: `${field.height * 100}%`,
      }}
    >
      {children(page)}
    </div>
  )
}

/** The adopted mark as it will be stamped: the typed text in the script font, or the drawn PNG. */
function MarkView({
  id,
  mark,
  text,
  label,
  fontSize,
}: {
  id?: string
  mark: Adopted
  text: string
  label: string
  fontSize?: number
}) {
  if (mark.kind === 'drawn') {
    return <img id={id} className="mark mark--drawn" src={mark.dataUrl} alt={label} tabIndex={-1} />
  }
  return (
    <span
      id={id}
      className="mark mark--typed"
      role="img"
      aria-label={`${label}: ${text}`}
      tabIndex={-1}
      style={fontSize ? { fontSize: `${fontSize}px` } : undefined}
    >
      {text}
    </span>
  )
}

/** Adopt a signature (or initials) once: typed from the name above, or drawn. */
function AdoptMark({
  mark,
  text,
  adopted,
  onAdopt,
}: {
  mark: Mark
  text: string
  adopted: Adopted | null
  onAdopt(adopted: Adopted | null): void
}) {
  const [kind, setKind] = useState<'typed' | 'drawn'>('typed')
  const [drawing, setDrawing] = useState<string | null>(null)
  const title = mark === 'signature' ? 'Your signature' : 'Your initials'
  const noun = mark === 'signature' ? 'signature' : 'initials'

  if (adopted) {
    return (
      <fieldset className="adopt" id={`adopt-${mark}`} tabIndex={-1}>
        <legend>{title}</legend>
        <div className="adopt__preview">
          {text ? (
            <MarkView mark={adopted} text={text} label={`Adopted ${noun}`} />
          ) : (
            <span className="muted">Type your name above.</span>
          )}
        </div>
        <button type="button" className="button button--ghost button--small" onClick={() => onAdopt(null)}>
          Change {noun}
        </button>
      </fieldset>
    )
  }
  return (
    <fieldset className="adopt" id={`adopt-${mark}`} tabIndex={-1}>
      <legend>{title}</legend>
      <div className="adopt__kinds" role="radiogroup" aria-label={`How to make your ${noun}`}>
        <label className="checkbox">
          <input
            type="radio"
            name={`adopt-${mark}-kind`}
            checked={kind === 'typed'}
            onChange={() => setKind('typed')}
          />
          Type {noun}
        </label>
        <label className="checkbox">
          <input
            type="radio"
            name={`adopt-${mark}-kind`}
            checked={kind === 'drawn'}
            onChange={() => setKind('drawn')}
          />
          Draw {noun}
        </label>
      </div>
      {kind === 'typed' ? (
        <div className="adopt__preview" aria-live="polite">
          {text ? (
            <MarkView mark={{ kind: 'typed' }} text={text} label={`Typed ${noun} preview`} />
          ) : (
            <span className="muted">Type your name above to see your {noun}.</span>
          )}
        </div>
      ) : (
        <SignaturePadInput
          label={`Draw your ${noun} here`}
          height={mark === 'signature' ? 180 : 130}
          onChange={setDrawing}
        />
      )}
      <button
        type="button"
        className="button button--secondary"
        disabled={kind === 'typed' ? text === '' : drawing === null}
        onClick={() =>
          onAdopt(kind === 'typed' ? { kind: 'typed' } : drawing ? { kind: 'drawn', dataUrl: drawing } : null)
        }
      >
        Adopt {noun}
      </button>
    </fieldset>
  )
}
