// The HTTP API (docs/http-api.md): JSON in and out, a bearer token, errors
// {code, message}. Every failure rejects with {status, code, message}.

export async function api (method, path, { body, token } = {}) {
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
  if (!res.ok) throw { status: res.status, code: data.code || 'http_' + res.status, message: data.message || res.statusText }
  return data
}
