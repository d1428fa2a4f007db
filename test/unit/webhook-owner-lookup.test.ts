import { describe, expect, it } from 'vitest'
import { createOwnerLookup, type ItemOwner } from '../../server/modules/webhooks/owner-lookup.ts'

const OWNERS: Record<string, ItemOwner> = {
  itemA: { environment: 'sandbox', workspaceId: 'workspace-a' },
  itemB: { environment: 'production', workspaceId: 'workspace-b' },
}

/** A fake plaid_items table: each query records its item_ids and waits while the gate is shut. */
function fakeItems(options: { failOn?: string } = {}) {
  const queries: string[][] = []
  let open: Promise<void> = Promise.resolve()
  let release: () => void = () => {}
  return {
    queries,
    shut() {
      open = new Promise((resolve) => {
        release = resolve
      })
    },
    open: () => release(),
    async findOwners(ids: string[]): Promise<Map<string, ItemOwner>> {
      queries.push([...ids])
      await open
      if (options.failOn && ids.includes(options.failOn)) throw new Error(`cannot look up ${options.failOn}`)
      return new Map(ids.flatMap((id) => (OWNERS[id] ? [[id, OWNERS[id]] as const] : [])))
    },
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))
const options = { maxBatch: 64, windowMs: 60_000, maxInFlight: 2 }

describe('grouped Item look-ups before webhook verification', () => {
  it('looks up a lone item_id at once, in a query of its own', async () => {
    const items = fakeItems()
    const lookup = createOwnerLookup(items.findOwners, options)
    await expect(lookup.find('itemA')).resolves.toEqual(OWNERS.itemA)
    expect(items.queries).toEqual([['itemA']])
  })

  it('answers the look-ups that came during a query with one query, each caller with its own Item', async () => {
    const items = fakeItems()
    const lookup = createOwnerLookup(items.findOwners, options)
    items.shut()
    const first = lookup.find('itemB')
    // Two workspaces, two environments, an unknown Item and a repeated one, all in one group.
    const rest = ['itemA', 'unknown', 'itemB', 'itemA'].map((id) => lookup.find(id))
    await settle()
    expect(items.queries).toEqual([['itemB']])
    items.open()
    await expect(first).resolves.toEqual(OWNERS.itemB)
    await expect(Promise.all(rest)).resolves.toEqual([OWNERS.itemA, null, OWNERS.itemB, OWNERS.itemA])
    expect(items.queries).toEqual([['itemB'], ['itemA', 'unknown', 'itemB', 'itemA']])
    expect(lookup.stats()).toMatchObject({ commits: 2, items: 5, largestBatch: 4 })
  })

  it('asks again for every look-up: a removed Item is unknown to the next query', async () => {
    const items = fakeItems()
    const lookup = createOwnerLookup(items.findOwners, options)
    await expect(lookup.find('itemA')).resolves.toEqual(OWNERS.itemA)
    const saved = OWNERS.itemA
    delete OWNERS.itemA
    try {
      await expect(lookup.find('itemA')).resolves.toBeNull()
    } finally {
      OWNERS.itemA = saved as ItemOwner
    }
    expect(items.queries).toEqual([['itemA'], ['itemA']])
  })

  it('looks up each item_id alone when a grouped query fails, and fails only the one that fails alone', async () => {
    const items = fakeItems({ failOn: 'broken' })
    const fallbacks: number[] = []
    const lookup = createOwnerLookup(items.findOwners, options, (_error, size) => fallbacks.push(size))
    items.shut()
    const first = lookup.find('itemA')
    const group = ['itemB', 'broken', 'unknown'].map((id) => lookup.find(id))
    await settle()
    items.open()
    await expect(first).resolves.toEqual(OWNERS.itemA)
    const settled = await Promise.allSettled(group)
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(settled[0]).toMatchObject({ value: OWNERS.itemB })
    expect(settled[2]).toMatchObject({ value: null })
    expect(fallbacks).toEqual([3])
  })
})
