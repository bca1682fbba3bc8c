// The SPA's hash routes.
export type Route =
  | { page: 'settings' }
  | { page: 'account' }
  | { page: 'webhooks' }
  | { page: 'webhook-new' }
  | { page: 'webhook'; id: number }
  | { page: 'webhook-edit'; id: number }
  | { page: 'unknown' }

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '').replace(/\/+$/, '')
  if (h === '/settings/api') return { page: 'settings' }
  if (h === '/account') return { page: 'account' }
  if (h === '/webhooks') return { page: 'webhooks' }
  if (h === '/webhooks/new') return { page: 'webhook-new' }
  let m = /^\/webhooks\/(\d+)$/.exec(h)
  if (m) return { page: 'webhook', id: Number(m[1]) }
  m = /^\/webhooks\/(\d+)\/edit$/.exec(h)
  if (m) return { page: 'webhook-edit', id: Number(m[1]) }
  return { page: 'unknown' }
}
