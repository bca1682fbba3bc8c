import { describe, expect, it } from 'vitest'
import { linesToOrigins, originsToLines } from './origins'
import { ApiError } from './errors'

describe('origins textarea', () => {
  it('splits lines and drops blanks', () => {
    expect(linesToOrigins('https://a.io\r\n\n  http://b.io:8080  \n')).toEqual(['https://a.io', 'http://b.io:8080'])
  })
  it('round-trips', () => {
    expect(linesToOrigins(originsToLines(['https://a.io', 'https://b.io']))).toEqual(['https://a.io', 'https://b.io'])
  })
})

describe('ApiError', () => {
  it('collects field messages from MultipleErrors', () => {
    const body = {
      _type: 'Error',
      errorIdentifier: 'urn:openproject-org:api:v3:errors:MultipleErrors',
      message: 'Multiple field constraints have been violated.',
      _embedded: {
        errors: [
          { _type: 'Error', message: 'maxPageSize must be at least 1.', _embedded: { details: { attribute: 'maxPageSize' } } },
          { _type: 'Error', message: 'corsOrigins line 2: bad.', _embedded: { details: { attribute: 'corsOrigins' } } },
        ],
      },
    }
    const err = ApiError.fromUnknown(JSON.stringify(body))
    expect(err.identifier).toBe('MultipleErrors')
    expect(err.forField('corsOrigins')).toEqual(['corsOrigins line 2: bad.'])
    expect(err.forField('maxPageSize')).toEqual(['maxPageSize must be at least 1.'])
    expect(err.general(['maxPageSize', 'corsOrigins'])).toBe('')
  })
  it('keeps a plain rejection string as the message', () => {
    expect(ApiError.fromUnknown('boom').message).toBe('boom')
  })
})
