import { describe, expect, it, vi } from 'vitest'
import { Coalescer, maxQueued, mergeNewest, type LiveDelivery } from './live'
import type { Attempt } from './types'

const d = (i: number): LiveDelivery => ({
  deliveryId: i, attemptId: i, webhookId: 1, messageId: `msg_${i}_1`, attempt: 1, event: 'project:created',
  outcome: 'succeeded', responseCode: 200, durationMs: 1, nextRetryAt: null, createdAt: '2026-11-28T12:00:00Z', test: false,
})

describe('Coalescer', () => {
  it('hands a burst over once per interval, and a flood as one resync', () => {
    vi.useFakeTimers()
    const calls: { n: number; resync: boolean }[] = []
    const c = new Coalescer((ds, _w, _s, resync) => calls.push({ n: ds.length, resync }), 250, () => Date.now())
    for (let i = 0; i < 100; i++) c.push('delivery', d(i))
    vi.advanceTimersByTime(0)
    expect(calls).toEqual([{ n: 100, resync: false }])
    for (let i = 0; i < 10_000; i++) c.push('delivery', d(i))
    vi.advanceTimersByTime(249)
    expect(calls.length).toBe(1) // not before the interval has passed
    vi.advanceTimersByTime(1)
    // More than maxQueued: the page reads the state again instead of applying 10,000 rows.
    expect(calls[1]).toEqual({ n: 0, resync: true })
    expect(maxQueued).toBeLessThan(10_000)
    vi.useRealTimers()
  })
})

describe('mergeNewest', () => {
  it('puts new rows on top, replaces rows of the same id and keeps the cap', () => {
    const row = (id: number, code = 200) => ({ id, responseCode: code }) as Attempt
    const out = mergeNewest([row(3), row(2), row(1)], [row(5), row(4), row(3, 500)], 4)
    expect(out.map((r) => r.id)).toEqual([5, 4, 3, 2])
    expect(out[2].responseCode).toBe(500)
  })
})
