import { useState } from 'react'
import type { DocumentInput, SigningDocument } from '../../../api/signings.ts'
import { Card } from '../../../components/card.tsx'
import { InputField, TextAreaField } from '../../../components/form-field.tsx'
import { RowButton, Subform } from './controls.tsx'

/** The package's documents; while the package is a draft (`editable`) they can be added and removed. */
export function DocumentsSection({
  documents,
  editable,
  busy,
  onAdd,
  onRemove,
}: {
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
            <li key={document.id}>
              <span>
                {document.title}{' '}
                <span className="muted">({document.kind === 'pdf' ? 'PDF' : 'Markdown'})</span>
              </span>
              {editable && (
                <RowButton tone="ghost" busy={busy} onClick={() => onRemove(document.id)}>
                  Remove
                </RowButton>
              )}
            </li>
          ))}
        </ol>
      )}
      {editable && <AddDocumentForm busy={busy} onAdd={onAdd} />}
    </Card>
  )
}

function AddDocumentForm({ busy, onAdd }: { busy: boolean; onAdd(input: DocumentInput): Promise<boolean> }) {
  const [title, setTitle] = useState('')
  const [markdown, setMarkdown] = useState('')
  const [file, setFile] = useState<File | null>(null)

  async function submit(form: HTMLFormElement) {
    const isAdded = await onAdd(
      file
        ? { title, kind: 'pdf', pdf_base64: await fileToBase64(file) }
        : { title, kind: 'markdown', markdown },
    )
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
      />
      <TextAreaField
        id="document-markdown"
        label="Text (Markdown)"
        value={markdown}
        onChange={(e) => setMarkdown(e.target.value)}
        rows={5}
        disabled={file !== null}
        required={file === null}
      />
      <InputField
        id="document-pdf"
        label="…or upload a PDF (up to 2 MiB)"
        type="file"
        accept="application/pdf"
        onChange={(e) => setFile(e.target.files?.[0] ?? null)}
      />
    </Subform>
  )
}

function fileToBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''))
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(file)
  })
}
