// Toasts: short notes of what just happened ("Saved", "Delete failed: …").
export interface Toast {
  id: number
  kind: 'success' | 'error'
  text: string
}

let next = 1
export const toasts = $state<Toast[]>([])

const maxShown = 3

export function toast(kind: Toast['kind'], text: string, ms = kind === 'error' ? 8000 : 4000): number {
  const id = next++
  toasts.push({ id, kind, text })
  if (toasts.length > maxShown) toasts.splice(0, toasts.length - maxShown)
  setTimeout(() => dismiss(id), ms)
  return id
}

export function dismiss(id: number) {
  const i = toasts.findIndex((t) => t.id === id)
  if (i >= 0) toasts.splice(i, 1)
}
