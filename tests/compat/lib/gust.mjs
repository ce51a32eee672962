// Where the server under test is and what the runner gave us, read once from the environment,
// plus the clients and fixtures every test file uses.
//
//   GUST_APIHOST   the API host, e.g. http://127.0.0.1:3233 (any OpenWhisk works too)
//   GUST_AUTH      uuid:key of the namespace the tests work in
//   GUST_AUTH2     uuid:key of a second namespace (optional: the cross-namespace tests skip
//                  without it, and say so)
//   GUST_WASM_ECHO, GUST_WASM_HELLO
//                  paths of the SDK examples built for wasm32-wasip1 (echo returns its
//                  parameters; hello returns {greeting: "Hello, <name>!"} and logs
//                  "hello: greeting <name>" to stderr)
//   GUST_DOCKER    1 when the server runs container actions (nodejs:18); other values or
//                  unset skip the tests that need them

import { readFileSync } from 'node:fs'
import openwhisk from 'openwhisk'

function required (name) {
  const value = process.env[name]
  if (!value) {
    throw new Error(`${name} is not set: the compatibility suite needs GUST_APIHOST, GUST_AUTH, ` +
      'GUST_WASM_ECHO and GUST_WASM_HELLO (see tests/compat/README.md)')
  }
  return value
}

/** The API host, as given (with its scheme). */
export const APIHOST = required('GUST_APIHOST').replace(/\/+$/, '')
/** The credential of the namespace the tests work in. */
export const AUTH = required('GUST_AUTH')
/** The credential of a second namespace, or undefined. */
export const AUTH2 = process.env.GUST_AUTH2 || undefined
/** Whether container kinds (nodejs:18) can run. */
export const DOCKER = process.env.GUST_DOCKER === '1'

/** Skip reason for tests that need a second namespace (undefined: run them). */
export const NEEDS_AUTH2 = AUTH2
  ? undefined
  : 'GUST_AUTH2 is not set: no second namespace to test cross-namespace access from'
/** Skip reason for tests that need container actions (undefined: run them). */
export const NEEDS_DOCKER = DOCKER
  ? undefined
  : 'GUST_DOCKER is not 1: the server under test runs no container actions'

/** An `openwhisk` client for `auth` (default: GUST_AUTH), configured only by options. */
export function client (auth = AUTH, options = {}) {
  return openwhisk({ apihost: APIHOST, api_key: auth, ...options })
}

const cache = new Map()

/** The bytes of a Wasm fixture: 'echo' or 'hello'. */
export function wasm (name) {
  if (!cache.has(name)) {
    const path = required(`GUST_WASM_${name.toUpperCase()}`)
    cache.set(name, readFileSync(path))
  }
  return cache.get(name)
}

/** The path of a Wasm fixture (for command-line clients). */
export function wasmPath (name) {
  return required(`GUST_WASM_${name.toUpperCase()}`)
}

/** The namespace a credential owns, as the server names it (GET /namespaces). */
export async function namespaceOf (auth = AUTH) {
  const list = await client(auth).namespaces.list()
  if (!Array.isArray(list) || list.length !== 1 || typeof list[0] !== 'string') {
    throw new Error(`GET /namespaces should list exactly one namespace name, got ${JSON.stringify(list)}`)
  }
  return list[0]
}
