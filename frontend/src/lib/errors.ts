import type { FieldError } from './types'

interface ErrorBody {
  _type?: string
  errorIdentifier?: string
  message?: string
  _embedded?: { details?: { attribute?: string }; errors?: ErrorBody[] }
}

/** ApiError is an OpenProject error body, whichever transport it came through. */
export class ApiError extends Error {
  readonly identifier: string
  readonly status: number
  readonly fields: FieldError[]

  constructor(body: ErrorBody, status = 0) {
    super(body.message ?? 'The request failed.')
    this.identifier = (body.errorIdentifier ?? '').replace('urn:openproject-org:api:v3:errors:', '')
    this.status = status
    const all = body._embedded?.errors ?? [body]
    this.fields = all
      .filter((e) => e._embedded?.details?.attribute)
      .map((e) => ({ attribute: e._embedded!.details!.attribute!, message: e.message ?? '' }))
  }

  /** Messages about one field, for showing next to it. */
  forField(attribute: string): string[] {
    return this.fields.filter((f) => f.attribute === attribute).map((f) => f.message)
  }

  /**
   * Messages about one field, named by its label: a message that starts with
   * the JSON name ("projectIds was …") starts with the label instead.
   */
  at(attribute: string, label: string): string[] {
    return this.forField(attribute).map((m) => byLabel(m, attribute, label))
  }

  /** The messages that belong to no field shown on the page. */
  general(shown: string[]): string {
    const rest = this.fields.filter((f) => !shown.includes(f.attribute))
    if (this.fields.length === 0) return this.message
    return rest.map((f) => f.message).join(' ')
  }

  /** fromUnknown turns what a transport threw into an ApiError. */
  static fromUnknown(err: unknown, status = 0): ApiError {
    if (err instanceof ApiError) return err
    const text = typeof err === 'string' ? err : err instanceof Error ? err.message : String(err)
    try {
      const body = JSON.parse(text) as ErrorBody
      if (body && body._type === 'Error') return new ApiError(body, status)
    } catch {
      // not an error body
    }
    return new ApiError({ message: text }, status)
  }
}

/** byLabel replaces a leading JSON attribute name in message with the field's label. */
export function byLabel(message: string, attribute: string, label: string): string {
  if (message.startsWith(attribute + ' ') || message.startsWith(attribute + ':')) return label + message.slice(attribute.length)
  return message
}
