// The HTTP API (docs/http-api.md): JSON in and out, a bearer token, errors
// {code, message}. Every failure rejects with {status, code, message}.
// A refusal that asks for a short wait (429 or 503 with Retry-After of at
// most 2 s: the server is hashing another password for this address, or
// its store is briefly away) is sent again after the wait, up to 3 times:
// the server did nothing with it. Longer limits reach the caller.

const SHORT_WAIT = 2 // seconds
const TRIES = 4

export async function api (method, path, opts = {}) {
  for (let tries = 1; ; tries++) {
    try {
      return await once(method, path, opts)
    } catch (err) {
      if (!(err.retryAfter > 0 && err.retryAfter <= SHORT_WAIT && tries < TRIES)) throw err
      await new Promise(resolve => setTimeout(resolve, err.retryAfter * 1000))
    }
  }
}

async function once (method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (token) headers.Authorization = 'Bearer ' + token
  let res
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch {
    throw { status: 0, code: 'network', message: 'network error' }
  }
  const data = await res.json().catch(() => ({}))
  if (!res.ok) {
    const wait = (res.status === 429 || res.status === 503) ? Number(res.headers.get('Retry-After')) : 0
    throw { status: res.status, code: data.code || 'http_' + res.status, message: data.message || res.statusText, retryAfter: wait || 0 }
  }
  return data
}
