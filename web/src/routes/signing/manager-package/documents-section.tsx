import { lazy, Suspense, useState } from 'react'
import type { DocumentInput, ManagedSigner, SigningDocument } from '../../../api/signings.ts'
import { Card } from '../../../components/card.tsx'
import { InputField, TextAreaField } from '../../../components/form-field.tsx'
import { Spinner } from '../../../components/loading.tsx'
import { RowButton, Subform } from './controls.tsx'

// pdf.js is large: only a manager who opens a document's pages downloads it.
const FieldEditor = lazy(() => import('./field-editor.tsx'))

/** The package's documents; while the package is a draft (`editable`) they can be added and removed. */
export function DocumentsSection({
  signingId,
  signers,
  documents,
  editable,
  busy,
  invalidField,
  onAdd,
  onRemove,
  onFieldsDirty,
}: {
  /** The input the last refused change was about. */
  invalidField: string | null
  onFieldsDirty(documentId: string, isDirty: boolean): void
  signingId: string
  signers: ManagedSigner[]
  documents: SigningDocument[]
  editable: boolean
  busy: boolean
  onAdd(input: DocumentInput): Promise<boolean>
  onRemove(documentId: string): void
}) {
  return (
    <Card titleId="documents-title" title="Documents">
      {documents.length === 0 ? (
        <p className="empty-state">No documents yet.</p>
      ) : (
        <ol className="signing-list">
          {documents.map((document) => (
            <li key={document.id} className={document.kind === 'pdf' ? 'signing-list__pdf' : undefined}>
              <span>
                {document.title}{' '}
                <span className="muted">({document.kind === 'pdf' ? 'PDF' : 'Markdown'})</span>
                {document.kind === 'pdf' && (
                  <span className="muted">
                    {' '}
                    · {fieldCount(document)} field{fieldCount(document) === 1 ? '' : 's'}
                    {document.page_count ? ` · ${document.page_count} page(s)` : ''}
                  </span>
                )}
              </span>
              {editable && (
                <RowButton tone="ghost" busy={busy} onClick={() => onRemove(document.id)}>
                  Remove
                </RowButton>
              )}
              {document.kind === 'pdf' && (
                <DocumentPages
                  signingId={signingId}
                  document={document}
                  signers={signers}
                  editable={editable}
                  onDirtyChange={(isDirty) => onFieldsDirty(document.id, isDirty)}
                />
              )}
            </li>
          ))}
        </ol>
      )}
      {editable && <AddDocumentForm busy={busy} invalidField={invalidField} onAdd={onAdd} />}
    </Card>
  )
}

const fieldCount = (document: SigningDocument) => document.fields?.length ?? 0

/** A PDF's pages with its fields, opened on demand: the field editor in a draft, a preview after. */
function DocumentPages({
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
  onDirtyChange(isDirty: boolean): void
}) {
  // Once opened the editor stays mounted (a closed <details> only hides it), so closing the panel
  // keeps unsaved changes.
  const [hasOpened, setOpened] = useState(false)
  return (
    <details className="document-pages" onToggle={(event) => event.currentTarget.open && setOpened(true)}>
      <summary>
        {editable ? 'Place fields' : 'Preview'}: {document.title}
      </summary>
      {hasOpened && (
        <Suspense fallback={<Spinner label="Loading the PDF viewer…" />}>
          <FieldEditor
            signingId={signingId}
            document={document}
            signers={signers}
            editable={editable}
            onDirtyChange={onDirtyChange}
          />
        </Suspense>
      )}
    </details>
  )
}

function AddDocumentForm({
  busy,
  invalidField,
  onAdd,
}: {
  busy: boolean
  /** The input the last refused change was about (`file`, `title`, `markdown`), marked invalid. */
  invalidField: string | null
  onAdd(input: DocumentInput | { title: string; file: File }): Promise<boolean>
}) {
  const invalid = (name: string) =>
    invalidField === name ? { 'aria-invalid': true, 'aria-describedby': 'page-error' } : {}
  const [title, setTitle] = useState('')
  const [markdown, setMarkdown] = useState('')
  const [file, setFile] = useState<File | null>(null)

  async function submit(form: HTMLFormElement) {
    // A file goes as multipart/form-data (up to 25 MB); typed Markdown as JSON.
    const isAdded = await onAdd(file ? { title, file } : { title, kind: 'markdown', markdown })
    if (!isAdded) return
    setTitle('')
    setMarkdown('')
    setFile(null)
    // The file input is uncontrolled: only resetting the form clears it.
    form.reset()
  }

  return (
    <Subform
      label="Add a document"
      submitLabel="Add document"
      submitTone="secondary"
      busy={busy}
      onSubmit={submit}
    >
      <InputField
        id="document-title"
        label="Document title"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        required
        maxLength={200}
        {...invalid('title')}
      />
      <TextAreaField
        id="document-markdown"
        label="Text (Markdown)"
        value={markdown}
        onChange={(e) => setMarkdown(e.target.value)}
        rows={5}
        disabled={file !== null}
        required={file === null}
        {...invalid('markdown')}
      />
      <InputField
        id="document-pdf"
        label="…or upload a PDF (up to 25 MB)"
        type="file"
        accept="application/pdf"
        onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        {...(invalidField === 'pdf_base64' ? invalid('pdf_base64') : invalid('file'))}
      />
    </Subform>
  )
}
