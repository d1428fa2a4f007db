import { type PointerEvent as ReactPointerEvent, useEffect, useRef, useState } from 'react'
import { useFetcher } from 'react-router'
import {
  FIELD_TYPE_LABELS,
  type FieldInput,
  type FieldType,
  type ManagedSigner,
  type SigningDocument,
  signingsApi,
} from '../../../api/signings.ts'
import { Notice } from '../../../components/notice.tsx'
import { PdfPages } from '../../../pdf/pdf-pages.tsx'
import { boxProblem, clampBox, defaultSize, MIN_SIZE, round } from '../field-geometry.ts'
import type { PackageChange, PackageChangeResult } from './use-package-changes.ts'
import './field-editor.css'

type DraftField = FieldInput & { key: string }

const FIELD_TYPES = Object.keys(FIELD_TYPE_LABELS) as FieldType[]

let nextKey = 0
const newKey = () => `new-${++nextKey}`

/**
 * The fields of one PDF document, over its pages (pdf.js): while the package is a draft the manager
 * draws a field by clicking or dragging on a page, moves it by dragging, resizes it by its corner,
 * deletes it; the table below lists the same fields with every number editable from the keyboard.
 * Positions are fractions of the page, shown in percent. Save replaces the document's fields.
 * Outside a draft the same component is a read-only preview.
 */
export default function FieldEditor({
  signingId,
  document,
  signers,
  editable,
  onDirtyChange,
}: {
  signingId: string
  document: SigningDocument
  signers: ManagedSigner[]
  editable: boolean
  /** Unsaved changes keep the package from being activated without them. */
  onDirtyChange(isDirty: boolean): void
}) {
  const [fields, setFields] = useState<DraftField[]>(() =>
    (document.fields ?? []).map(({ id, ...field }) => ({ ...field, key: id })),
  )
  const [selected, setSelected] = useState<string | null>(null)
  const [tool, setTool] = useState<{ type: FieldType; signerId: string; required: boolean }>({
    type: 'signature',
    signerId: signers[0]?.id ?? '',
    required: true,
  })
  const [isDirty, setDirtyState] = useState(false)
  const setDirty = (next: boolean) => {
    setDirtyState(next)
    onDirtyChange(next)
  }
  const [savedAt, setSavedAt] = useState<Date | null>(null)
  // Saved through the package route's action, which answers the stored fields (with their ids).
  const save = useFetcher<PackageChangeResult>()
  const saving = save.state !== 'idle'
  const saveError = !saving && save.data && !save.data.ok ? save.data.message : null
  const applied = useRef<PackageChangeResult | null>(null)
  useEffect(() => {
    const result = save.data
    if (saving || !result || applied.current === result || !result.ok || !result.fields) return
    applied.current = result
    setFields(result.fields.map(({ id, ...field }) => ({ ...field, key: id })))
    setSelected(null)
    setDirtyState(false)
    onDirtyChange(false)
    setSavedAt(new Date())
  }, [saving, save.data, onDirtyChange])
  const pageCount = document.page_count ?? null
  const signerIndex = new Map(signers.map((signer, index) => [signer.id, index]))
  const signerName = (id: string) =>
    signers.find((signer) => signer.id === id)?.legal_name ?? 'unknown signer'
  const toolSigner = signers.some((signer) => signer.id === tool.signerId) ? tool.signerId : signers[0]?.id
  const canPlace = editable && toolSigner !== undefined

  function change(next: (current: DraftField[]) => DraftField[]) {
    setFields(next)
    setDirty(true)
    setSavedAt(null)
  }
  const update = (key: string, patch: Partial<FieldInput>) =>
    change((current) => current.map((field) => (field.key === key ? { ...field, ...patch } : field)))
  const remove = (key: string) => {
    change((current) => current.filter((field) => field.key !== key))
    if (selected === key) setSelected(null)
  }
  function add(box: { page: number; x: number; y: number; width?: number; height?: number }) {
    if (!toolSigner) return
    const size = defaultSize(tool.type)
    const field: DraftField = clampBox({
      key: newKey(),
      type: tool.type,
      signer_id: toolSigner,
      required: tool.type === 'checkbox' ? false : tool.required,
      label: null,
      page: box.page,
      x: box.x,
      y: box.y,
      width: box.width ?? size.width,
      height: box.height ?? size.height,
    })
    change((current) => [...current, field])
    setSelected(field.key)
  }

  const problems = fields
    .map((field, index) => {
      const problem = boxProblem(field, pageCount)
      return problem ? `Field ${index + 1}: ${problem}.` : null
    })
    .filter((problem) => problem !== null)

  function submit() {
    const body = fields.map(({ key: _key, ...field }) => ({ ...field, label: field.label?.trim() || null }))
    const change: PackageChange = { intent: 'save-fields', document_id: document.id, fields: body }
    void save.submit(change as never, { method: 'post', encType: 'application/json' })
  }

  return (
    <div className="field-editor">
      {editable && (
        <fieldset className="field-tool" disabled={!canPlace}>
          <legend>New field</legend>
          <label>
            Field type{' '}
            <select
              value={tool.type}
              onChange={(e) => setTool({ ...tool, type: e.target.value as FieldType })}
            >
              {FIELD_TYPES.map((type) => (
                <option key={type} value={type}>
                  {FIELD_TYPE_LABELS[type]}
                </option>
              ))}
            </select>
          </label>
          <label>
            For signer{' '}
            <select value={toolSigner ?? ''} onChange={(e) => setTool({ ...tool, signerId: e.target.value })}>
              {signers.map((signer) => (
                <option key={signer.id} value={signer.id}>
                  {signer.legal_name}
                </option>
              ))}
            </select>
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={tool.required}
              onChange={(e) => setTool({ ...tool, required: e.target.checked })}
            />
            Required
          </label>
          <button
            type="button"
            className="button button--ghost button--small"
            disabled={selected === null}
            onClick={() => selected && remove(selected)}
          >
            Delete selected field
          </button>
          <ul className="field-legend" aria-label="Signer colours">
            {signers.map((signer, index) => (
              <li key={signer.id}>
                <span className={`field-legend__swatch field-box--signer-${index % 5}`} aria-hidden="true" />
                {signer.legal_name}
              </li>
            ))}
          </ul>
          <p className="muted field-tool__hint">
            Click on a page to place the field, or drag to draw its box. Drag a field to move it, its corner
            to resize it; Delete removes the selected field.
          </p>
        </fieldset>
      )}
      {editable && signers.length === 0 && (
        <Notice tone="info">
          <p>Add a signer first: every field belongs to one signer.</p>
        </Notice>
      )}

      <PdfPages
        url={signingsApi.documentPdfUrl(signingId, document.id)}
        title={document.title}
        overlay={(page) => (
          <FieldLayer
            page={page}
            fields={fields.filter((field) => field.page === page)}
            selected={selected}
            editable={canPlace}
            describe={(field) =>
              `${FIELD_TYPE_LABELS[field.type]} for ${signerName(field.signer_id)}${field.label ? ` (${field.label})` : ''}`
            }
            colorOf={(field) => (signerIndex.get(field.signer_id) ?? 0) % 5}
            onSelect={setSelected}
            onAdd={add}
            onChange={update}
            onRemove={remove}
          />
        )}
      />

      <FieldTable
        documentTitle={document.title}
        fields={fields}
        signers={signers}
        pageCount={pageCount}
        editable={editable}
        selected={selected}
        onSelect={setSelected}
        onChange={update}
        onRemove={remove}
        onAdd={canPlace ? () => add({ page: 1, x: 0.1, y: 0.1 }) : null}
      />

      {editable && (
        <div className="field-editor__actions">
          {problems.length > 0 && (
            <ul className="form-message__error">
              {problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          )}
          {saveError && (
            <p className="form-message__error" role="alert">
              {saveError}
            </p>
          )}
          <button
            type="button"
            className="button button--primary"
            disabled={saving || problems.length > 0 || !isDirty}
            onClick={submit}
          >
            Save fields
          </button>
          <span className="muted" role="status">
            {isDirty ? 'Unsaved changes' : savedAt ? 'Fields saved' : ''}
          </span>
        </div>
      )}
    </div>
  )
}

type Gesture = (dx: number, dy: number, isFinal: boolean) => void

/** Follows the pointer until it is released; `gesture` gets the movement in fractions of `layer`. */
function track(event: ReactPointerEvent, layer: HTMLElement, gesture: Gesture) {
  const rect = layer.getBoundingClientRect()
  const startX = event.clientX
  const startY = event.clientY
  const move = (next: PointerEvent) =>
    gesture((next.clientX - startX) / rect.width, (next.clientY - startY) / rect.height, false)
  const end = (next: PointerEvent) => {
    window.removeEventListener('pointermove', move)
    window.removeEventListener('pointerup', end)
    window.removeEventListener('pointercancel', end)
    gesture((next.clientX - startX) / rect.width, (next.clientY - startY) / rect.height, true)
  }
  window.addEventListener('pointermove', move)
  window.addEventListener('pointerup', end)
  window.addEventListener('pointercancel', end)
}

function FieldLayer({
  page,
  fields,
  selected,
  editable,
  describe,
  colorOf,
  onSelect,
  onAdd,
  onChange,
  onRemove,
}: {
  page: number
  fields: DraftField[]
  selected: string | null
  editable: boolean
  describe(field: DraftField): string
  colorOf(field: DraftField): number
  onSelect(key: string | null): void
  onAdd(box: { page: number; x: number; y: number; width?: number; height?: number }): void
  onChange(key: string, patch: Partial<FieldInput>): void
  onRemove(key: string): void
}) {
  // The box being drawn, moved or resized: shown live, committed on release.
  const [live, setLive] = useState<{
    key: string
    x: number
    y: number
    width: number
    height: number
  } | null>(null)

  function startDraw(event: ReactPointerEvent<HTMLDivElement>) {
    if (!editable || event.button !== 0 || event.target !== event.currentTarget) return
    event.preventDefault()
    const layer = event.currentTarget
    const rect = layer.getBoundingClientRect()
    const x0 = (event.clientX - rect.left) / rect.width
    const y0 = (event.clientY - rect.top) / rect.height
    onSelect(null)
    track(event, layer, (dx, dy, isFinal) => {
      const box = {
        x: Math.min(x0, x0 + dx),
        y: Math.min(y0, y0 + dy),
        width: Math.abs(dx),
        height: Math.abs(dy),
      }
      const isClick = box.width < MIN_SIZE && box.height < MIN_SIZE
      if (!isFinal) {
        setLive(isClick ? null : { key: 'drawing', ...box })
        return
      }
      setLive(null)
      onAdd(isClick ? { page, x: x0, y: y0 } : { page, ...box })
    })
  }

  function startEdit(event: ReactPointerEvent, field: DraftField, mode: 'move' | 'resize') {
    onSelect(field.key)
    if (!editable || event.button !== 0) return
    event.preventDefault()
    event.stopPropagation()
    const layer = (event.currentTarget as HTMLElement).closest('.field-layer') as HTMLElement
    track(event, layer, (dx, dy, isFinal) => {
      const box = clampBox(
        mode === 'move'
          ? { page, x: field.x + dx, y: field.y + dy, width: field.width, height: field.height }
          : { page, x: field.x, y: field.y, width: field.width + dx, height: field.height + dy },
      )
      if (!isFinal) {
        setLive({ key: field.key, ...box })
        return
      }
      setLive(null)
      if (dx !== 0 || dy !== 0)
        onChange(field.key, { x: box.x, y: box.y, width: box.width, height: box.height })
    })
  }

  return (
    // Drawing with the mouse; the field table below is the keyboard path.
    <div className="field-layer" data-editable={editable} data-page={page} onPointerDown={startDraw}>
      {fields.map((field) => {
        const box = live?.key === field.key ? live : field
        return (
          // biome-ignore lint/a11y/useSemanticElements: a box over a canvas, dragged with the mouse
          <div
            key={field.key}
            role="button"
            tabIndex={0}
            aria-label={`${describe(field)}, page ${page}`}
            aria-pressed={selected === field.key}
            className={`field-box field-box--signer-${colorOf(field)}`}
            data-selected={selected === field.key}
            data-type={field.type}
            style={{
              left: `${box.x * 100}%`,
              top: `${box.y * 100}%`,
              width: `${box.width * 100}%`,
              height: `${box.height * 100}%`,
            }}
            onPointerDown={(event) => startEdit(event, field, 'move')}
            onFocus={() => onSelect(field.key)}
            onKeyDown={(event) => {
              if (!editable) return
              if (event.key === 'Delete' || event.key === 'Backspace') {
                event.preventDefault()
                onRemove(field.key)
                return
              }
              const step = event.shiftKey ? 0.01 : 0.002
              const moves: Record<string, [number, number]> = {
                ArrowLeft: [-step, 0],
                ArrowRight: [step, 0],
                ArrowUp: [0, -step],
                ArrowDown: [0, step],
              }
              const delta = moves[event.key]
              if (!delta) return
              event.preventDefault()
              const moved = clampBox({ ...field, x: field.x + delta[0], y: field.y + delta[1] })
              onChange(field.key, { x: moved.x, y: moved.y })
            }}
          >
            <span className="field-box__label">
              {FIELD_TYPE_LABELS[field.type]}
              {field.required ? ' *' : ''}
            </span>
            {editable && (
              <span
                className="field-box__handle"
                aria-hidden="true"
                onPointerDown={(event) => startEdit(event, field, 'resize')}
              />
            )}
          </div>
        )
      })}
      {live?.key === 'drawing' && (
        <div
          className="field-box field-box--drawing"
          style={{
            left: `${live.x * 100}%`,
            top: `${live.y * 100}%`,
            width: `${live.width * 100}%`,
            height: `${live.height * 100}%`,
          }}
        />
      )}
    </div>
  )
}

function FieldTable({
  documentTitle,
  fields,
  signers,
  pageCount,
  editable,
  selected,
  onSelect,
  onChange,
  onRemove,
  onAdd,
}: {
  documentTitle: string
  fields: DraftField[]
  signers: ManagedSigner[]
  pageCount: number | null
  editable: boolean
  selected: string | null
  onSelect(key: string): void
  onChange(key: string, patch: Partial<FieldInput>): void
  onRemove(key: string): void
  onAdd: (() => void) | null
}) {
  const ordered = fields
  return (
    <div className="field-table-wrap">
      <table className="field-table">
        <caption>
          Fields of {documentTitle} ({fields.length}){' '}
          <span className="muted">
            — positions and sizes in percent of the page, from its top-left corner
          </span>
        </caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Type</th>
            <th scope="col">Signer</th>
            <th scope="col">Page</th>
            <th scope="col">Left %</th>
            <th scope="col">Top %</th>
            <th scope="col">Width %</th>
            <th scope="col">Height %</th>
            <th scope="col">Required</th>
            <th scope="col">Label</th>
            {editable && <th scope="col">Remove</th>}
          </tr>
        </thead>
        <tbody>
          {ordered.length === 0 && (
            <tr>
              <td colSpan={editable ? 11 : 10} className="muted">
                No fields yet: signers of this document only consent with their typed name.
              </td>
            </tr>
          )}
          {ordered.map((field, index) => {
            const n = index + 1
            const set = (patch: Partial<FieldInput>) => onChange(field.key, patch)
            return (
              <tr key={field.key} data-selected={selected === field.key} onFocus={() => onSelect(field.key)}>
                <th scope="row">{n}</th>
                <td>
                  <select
                    aria-label={`Field ${n} type`}
                    value={field.type}
                    disabled={!editable}
                    onChange={(e) => set({ type: e.target.value as FieldType })}
                  >
                    {FIELD_TYPES.map((type) => (
                      <option key={type} value={type}>
                        {FIELD_TYPE_LABELS[type]}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <select
                    aria-label={`Field ${n} signer`}
                    value={field.signer_id}
                    disabled={!editable}
                    onChange={(e) => set({ signer_id: e.target.value })}
                  >
                    {signers.map((signer) => (
                      <option key={signer.id} value={signer.id}>
                        {signer.legal_name}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <NumberInput
                    label={`Field ${n} page`}
                    value={field.page}
                    min={1}
                    max={pageCount ?? undefined}
                    step={1}
                    disabled={!editable}
                    onValue={(page) => set({ page: Math.round(page) })}
                  />
                </td>
                {(['x', 'y', 'width', 'height'] as const).map((key) => (
                  <td key={key}>
                    <NumberInput
                      label={`Field ${n} ${{ x: 'left', y: 'top', width: 'width', height: 'height' }[key]} (%)`}
                      value={round(field[key] * 100)}
                      min={0}
                      max={100}
                      step={0.1}
                      disabled={!editable}
                      onValue={(percent) => set({ [key]: round(percent / 100) })}
                    />
                  </td>
                ))}
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Field ${n} required`}
                    checked={field.required}
                    disabled={!editable}
                    onChange={(e) => set({ required: e.target.checked })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Field ${n} label`}
                    value={field.label ?? ''}
                    maxLength={100}
                    disabled={!editable}
                    onChange={(e) => set({ label: e.target.value })}
                  />
                </td>
                {editable && (
                  <td>
                    <button
                      type="button"
                      className="button button--ghost button--small"
                      onClick={() => onRemove(field.key)}
                    >
                      Remove field {n}
                    </button>
                  </td>
                )}
              </tr>
            )
          })}
        </tbody>
      </table>
      {onAdd && (
        <button type="button" className="button button--secondary button--small" onClick={onAdd}>
          Add field
        </button>
      )}
    </div>
  )
}

/** A number input that lets the user type freely ("12.", "") and reports only valid numbers. */
function NumberInput({
  label,
  value,
  min,
  max,
  step,
  disabled,
  onValue,
}: {
  label: string
  value: number
  min: number
  max: number | undefined
  step: number
  disabled: boolean
  onValue(value: number): void
}) {
  const [text, setText] = useState<string | null>(null)
  return (
    <input
      type="number"
      inputMode="decimal"
      aria-label={label}
      className="field-table__number"
      value={text ?? String(value)}
      min={min}
      max={max}
      step={step}
      disabled={disabled}
      onChange={(event) => {
        setText(event.target.value)
        const parsed = Number(event.target.value)
        if (event.target.value.trim() !== '' && Number.isFinite(parsed)) onValue(parsed)
      }}
      onBlur={() => setText(null)}
    />
  )
}
