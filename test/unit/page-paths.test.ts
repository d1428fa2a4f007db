import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isPagePath, PAGE_PATHS } from '../../web/src/page-paths.ts'

const ROUTER = readFileSync(new URL('../../web/src/router.tsx', import.meta.url), 'utf8')
const NAVIGATION = readFileSync(new URL('../../web/src/navigation.ts', import.meta.url), 'utf8')

describe('the pages the server answers with 200', () => {
  it('are exactly the paths the router declares', () => {
    const constants = new Map(
      [...NAVIGATION.matchAll(/export const (\w+) = '([^']+)'/g)].map(([, name, value]) => [name, value]),
    )
    const declared = [
      ...[...ROUTER.matchAll(/path: '([^']+)'/g)].map(([, path]) => `/${path}`),
      ...[...ROUTER.matchAll(/path: ([A-Z_]+),/g)].map(([, name]) => constants.get(name as string)),
    ].filter((path) => path !== '/*')
    expect(declared.length).toBeGreaterThan(10)
    expect(new Set(declared)).toEqual(new Set(PAGE_PATHS.filter((path) => path !== '/')))
  })

  it.each([
    ['/', true],
    ['/signing', true],
    ['/signing/', true],
    ['/signing/manager/signings/1234', true],
    ['/invite/abc', true],
    ['/invite', false],
    ['/invite/abc/more', false],
    ['/nope', false],
    ['/signing/unknown', false],
  ])('%s → %s', (path, expected) => {
    expect(isPagePath(path)).toBe(expected)
  })
})
