import type { ResourceDef } from './types'

/** eventsByResource groups a webhook's events under their resource labels, in catalogue order. */
export function eventsByResource(events: string[], catalogue: ResourceDef[]): { resource: string; labels: string[] }[] {
  const chosen = new Set(events)
  const out: { resource: string; labels: string[] }[] = []
  for (const r of catalogue) {
    const labels = r.events.filter((e) => chosen.has(e.name)).map((e) => e.label)
    if (labels.length) out.push({ resource: r.label, labels })
  }
  return out
}

/** eventLabel is "Work packages: Created" for work_package:created. */
export function eventLabel(name: string, catalogue: ResourceDef[]): string {
  for (const r of catalogue) {
    const e = r.events.find((x) => x.name === name)
    if (e) return `${r.label}: ${e.label}`
  }
  return name
}
