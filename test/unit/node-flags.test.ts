import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { SERVER_NODE_FLAGS } from '../../server/node-flags.ts'

const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url))
const scripts: Record<string, string> = JSON.parse(
  readFileSync(path.join(REPOSITORY, 'package.json'), 'utf8'),
).scripts

/** The options of the `node` command in a script that runs `entry`, with paths made absolute. */
function nodeOptionsRunning(script: string, entry: string): string[] {
  const command = script
    .split('&&')
    .map((part) => part.trim().split(/\s+/))
    .find((words) => words.includes(entry))
  if (!command) throw new Error(`no command runs ${entry} in: ${script}`)
  const options = command.slice(1, command.indexOf(entry)).filter((word) => !word.startsWith('--watch-path'))
  return options.map((word) => (word.startsWith('./') ? path.join(REPOSITORY, word) : word))
}

describe('the Node.js options of server processes', () => {
  it.each([
    ['start', 'server/main.ts'],
    ['dev', 'server/main.ts'],
    ['worker', 'jobs/worker-main.ts'],
  ])('npm run %s runs %s with exactly SERVER_NODE_FLAGS', (name, entry) => {
    expect(nodeOptionsRunning(scripts[name] ?? '', entry)).toEqual(SERVER_NODE_FLAGS)
  })

  it('the module hook resolves drizzle-orm to the same modules as Node itself', () => {
    const listExports = (flags: readonly string[]) =>
      execFileSync(
        process.execPath,
        [
          ...flags,
          '--input-type=module',
          '-e',
          `const entries = ['drizzle-orm', 'drizzle-orm/pg-core', 'drizzle-orm/pglite', 'drizzle-orm/node-postgres', 'drizzle-orm/pglite/migrator']
          const shapes = []
          for (const entry of entries) shapes.push(entry + ':' + Object.keys(await import(entry)).sort().join(','))
          console.log(shapes.join('\\n'))`,
        ],
        { cwd: REPOSITORY, encoding: 'utf8' },
      )
    const withHook = listExports(SERVER_NODE_FLAGS)
    expect(withHook).toEqual(listExports([]))
    expect(withHook).toContain('pgTable')
  })
})
