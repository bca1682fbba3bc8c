/** generateSecret makes a Standard Webhooks secret: whsec_ and 24 random bytes in base64. */
export function generateSecret(fill: (b: Uint8Array) => void = (b) => crypto.getRandomValues(b)): string {
  const bytes = new Uint8Array(24)
  fill(bytes)
  return 'whsec_' + btoa(String.fromCharCode(...bytes))
}
