// @ts-check
// Small DOM builders. Content is always set as DOM properties and text, never as markup, so nothing a
// link token or an institution name carries can become HTML.

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} properties assigned as DOM properties (never as markup)
 * @param {Array<Node | string>} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, properties, ...children) {
  const element = document.createElement(tag)
  Object.assign(element, properties)
  element.append(...children)
  return element
}

/** @param {string} id */
export function byId(id) {
  const element = document.getElementById(id)
  if (!element) throw new Error(`link.html is missing #${id}`)
  return element
}

/**
 * @param {string} label
 * @param {string} variant
 * @param {() => void} onClick
 */
export function button(label, variant, onClick) {
  const element = h('button', { type: 'button', className: `button ${variant}` }, label)
  element.addEventListener('click', onClick)
  return element
}

/** @param {string} label */
export function submitButton(label) {
  return h('button', { type: 'submit', className: 'button primary' }, label)
}

/**
 * The pane's heading: named by `aria-labelledby` of the dialog, focused when nothing else asks to be.
 * @param {string} text
 */
export function paneTitle(text) {
  return h('h1', { id: 'pane-title', tabIndex: -1 }, text)
}

/**
 * @param {string} id
 * @param {string} label
 * @param {'text' | 'password'} type
 */
export function textField(id, label, type) {
  const input = h('input', { id, name: id, type, autocomplete: 'off', spellcheck: false, required: true })
  const field = h('div', { className: 'field' }, h('label', { htmlFor: id }, label), input)
  return { field, input }
}

/** @typedef {{ value: string, label: string, detail: string }} RadioChoice */

/**
 * A radio group with the first choice preselected.
 * @param {string} name
 * @param {string} legendText
 * @param {RadioChoice[]} choices
 */
export function radioGroup(name, legendText, choices) {
  const legend = h('legend', {}, legendText)
  const radios = choices.map((choice, index) =>
    h('input', { type: 'radio', name, value: choice.value, checked: index === 0 }),
  )
  const fieldset = h(
    'fieldset',
    {},
    legend,
    ...choices.map((choice, index) =>
      h(
        'label',
        { className: 'choice' },
        /** @type {HTMLInputElement} */ (radios[index]),
        h(
          'span',
          {},
          h('span', {}, choice.label),
          choice.detail ? h('span', { className: 'choice-detail' }, choice.detail) : '',
        ),
      ),
    ),
  )
  if (radios[0]) radios[0].dataset.autofocus = ''
  const selected = () => radios.find((radio) => radio.checked)?.value ?? ''
  return { fieldset, legend, selected }
}

/** @param {string} name */
export function initials(name) {
  return name
    .split(/\s+/)
    .filter((word) => /^[A-Za-z0-9]/.test(word))
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase())
    .join('')
}

/** @param {string} text */
export function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
