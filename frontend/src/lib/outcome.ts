import type { Attempt } from './types'

/** The outcomes as the API names them (the stream's events, the deliveries' outcome filter). */
export type Outcome = 'succeeded' | 'retrying' | 'failed'

/**
 * outcome is what one attempt came to, split as the server splits it: a
 * retry scheduled, a 2xx without a transport error, or given up.
 */
export function outcome(a: Pick<Attempt, 'responseCode' | 'nextRetryAt'> & { error?: string }): Outcome {
  if (a.nextRetryAt) return 'retrying'
  if (a.responseCode >= 200 && a.responseCode < 300 && !a.error) return 'succeeded'
  return 'failed'
}

export const outcomeLabel: Record<Outcome, string> = { succeeded: 'Succeeded', retrying: 'Retrying', failed: 'Failed' }

/** responseLabel is the response code column: "(none)" when no response came, as OpenProject shows it. */
export function responseLabel(code: number): string {
  return code > 0 ? String(code) : '(none)'
}

/** ago is a short relative time such as "3 min ago". */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return ''
  const s = Math.round((now - new Date(iso).getTime()) / 1000)
  if (s < 5) return 'just now'
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}

/** prettyJSON indents a JSON body, or returns it as it is when it is not JSON. */
export function prettyJSON(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2)
  } catch {
    return body
  }
}

/** localToISO turns a datetime-local value (the browser's zone) into ISO 8601 UTC. */
export function localToISO(local: string): string {
  return new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
