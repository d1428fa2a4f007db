import type { ComponentProps } from 'react'

type FieldProps = { id: string; label: string }

/** A labelled `<input>` in the form layout; every other prop goes to the input. */
export function InputField({ id, label, ...input }: FieldProps & Omit<ComponentProps<'input'>, 'id'>) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} />
    </div>
  )
}

/** A labelled `<textarea>` in the form layout; every other prop goes to the textarea. */
export function TextAreaField({
  id,
  label,
  ...textarea
}: FieldProps & Omit<ComponentProps<'textarea'>, 'id'>) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} {...textarea} />
    </div>
  )
}
