import type { ReactNode } from 'react'

/**
 * A deliberately small Markdown subset (headings, paragraphs, lists, **bold**, *italic*), rendered
 * as React elements: document text never becomes HTML, so nothing in it can run.
 */
export function MarkdownView({ source }: { source: string }) {
  const blocks = source.replace(/\r\n?/g, '\n').split(/\n{2,}/)
  return (
    <div className="markdown">
      {blocks.map((block, index) => (
        // Blocks have no identity beyond their position in an immutable document.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <MarkdownBlock key={index} block={block.trim()} />
      ))}
    </div>
  )
}

function MarkdownBlock({ block }: { block: string }) {
  if (block === '') return null
  const heading = /^(#{1,4})\s+(.*)$/.exec(block)
  if (heading && !block.includes('\n')) {
    const level = Math.min((heading[1] ?? '#').length + 1, 5)
    const Tag = `h${level}` as 'h2' | 'h3' | 'h4' | 'h5'
    return <Tag>{inline(heading[2] ?? '')}</Tag>
  }
  const lines = block.split('\n')
  if (lines.every((line) => /^\s*[-*]\s+/.test(line))) {
    return (
      <ul>
        {lines.map((line, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: list items of an immutable document
          <li key={index}>{inline(line.replace(/^\s*[-*]\s+/, ''))}</li>
        ))}
      </ul>
    )
  }
  if (lines.every((line) => /^\s*\d+[.)]\s+/.test(line))) {
    return (
      <ol>
        {lines.map((line, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: list items of an immutable document
          <li key={index}>{inline(line.replace(/^\s*\d+[.)]\s+/, ''))}</li>
        ))}
      </ol>
    )
  }
  return <p>{inline(lines.join(' '))}</p>
}

function inline(text: string): ReactNode[] {
  return text.split(/(\*\*[^*]+\*\*|\*[^*]+\*)/).map((part, index) => {
    const key = `${index}:${part}`
    if (part.startsWith('**') && part.endsWith('**') && part.length > 4)
      return <strong key={key}>{part.slice(2, -2)}</strong>
    if (part.startsWith('*') && part.endsWith('*') && part.length > 2)
      return <em key={key}>{part.slice(1, -1)}</em>
    return part
  })
}
