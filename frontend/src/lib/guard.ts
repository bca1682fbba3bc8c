// The unsaved-changes guard: a form registers whether it is dirty; leaving
// the page (another hash route, reload, close) asks first.
let dirty: (() => boolean) | null = null

export function guardUnsaved(isDirty: () => boolean): () => void {
  dirty = isDirty
  return () => {
    if (dirty === isDirty) dirty = null
  }
}

export function hasUnsaved(): boolean {
  return dirty?.() ?? false
}

/** releaseGuard is for leaving on purpose, after a save or a cancel. */
export function releaseGuard() {
  dirty = null
}

export const leaveQuestion = 'You have unsaved changes. Leave this page and lose them?'
