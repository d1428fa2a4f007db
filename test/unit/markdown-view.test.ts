import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { MarkdownView } from '../../web/src/routes/signing/markdown-view.tsx'

const render = (source: string) => renderToStaticMarkup(createElement(MarkdownView, { source }))
const inner = (source: string) => render(source).replace(/^<div class="markdown">|<\/div>$/g, '')

describe('the Markdown subset of signing documents', () => {
  it('renders headings one level below the page title, capped at h5', () => {
    expect(inner('# Purchase agreement')).toBe('<h2>Purchase agreement</h2>')
    expect(inner('## Parties')).toBe('<h3>Parties</h3>')
    expect(inner('#### Deep')).toBe('<h5>Deep</h5>')
    // Five hashes are not a heading in this subset: the line stays text.
    expect(inner('##### Too deep')).toBe('<p>##### Too deep</p>')
  })

  it('joins the lines of a paragraph and splits paragraphs at blank lines (any line ending)', () => {
    expect(inner('The buyer pays\nat closing.\r\n\r\nSecond paragraph.')).toBe(
      '<p>The buyer pays at closing.</p><p>Second paragraph.</p>',
    )
  })

  it('renders bulleted and numbered lists only when every line is an item', () => {
    expect(inner('- keys\n* deed')).toBe('<ul><li>keys</li><li>deed</li></ul>')
    expect(inner('1. sign\n2) pay')).toBe('<ol><li>sign</li><li>pay</li></ol>')
    expect(inner('- keys\nand more')).toBe('<p>- keys and more</p>')
  })

  it('renders **bold** and *italic* inline, and leaves unmatched markers as text', () => {
    expect(inner('Pay the **price** in *full*.')).toBe(
      '<p>Pay the <strong>price</strong> in <em>full</em>.</p>',
    )
    expect(inner('2 * 3 = 6')).toBe('<p>2 * 3 = 6</p>')
    expect(inner('## A **bold** title')).toBe('<h3>A <strong>bold</strong> title</h3>')
  })

  it('never turns document text into markup: HTML and links stay visible text', () => {
    const html = inner('<img src=x onerror="alert(1)"> [link](javascript:alert(1)) <script>x</script>')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<a')
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;')
    expect(html).toContain('[link](javascript:alert(1))')
  })

  it('skips empty blocks and renders an empty document as an empty container', () => {
    expect(render('')).toBe('<div class="markdown"></div>')
    expect(inner('\n\n\n\nOnly this.\n\n\n')).toBe('<p>Only this.</p>')
  })
})
