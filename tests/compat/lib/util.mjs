// Small helpers shared by the test files: unique names, polling with a deadline, checking the
// errors the `openwhisk` library throws, and deleting what a test created.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

/** A name no other test (or earlier run) uses: `compat-<tag>-<random>`. */
export function unique (tag) {
  return `compat-${tag}-${Date.now().toString(36)}${randomBytes(4).toString('hex')}`
}

/**
 * Calls `fn` until it returns something other than undefined/false, or `within` ms pass.
 * `fn` may throw an error whose `retry` property is true to mean "not yet"; any other error
 * ends the wait at once.
 */
export async function eventually (what, fn, { within = 30000, every = 50 } = {}) {
  const deadline = Date.now() + within
  let last
  for (;;) {
    try {
      const value = await fn()
      if (value !== undefined && value !== false) return value
      last = undefined
    } catch (err) {
      if (!err.retry) throw err
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${within} ms${last ? ` (last: ${last.message})` : ''}`)
    }
    await sleep(every)
  }
}

/** A "not yet" error for `eventually`. */
export function notYet (message) {
  const err = new Error(message)
  err.retry = true
  return err
}

/**
 * Awaits `promise`, which must reject with the library's OpenWhiskError for HTTP `status`;
 * when `message` is given the server's `error` text must contain it. Returns the error.
 */
export async function rejects (promise, status, message) {
  let value
  try {
    value = await promise
  } catch (err) {
    assert.equal(err.name, 'OpenWhiskError', `an OpenWhiskError, not ${err.stack}`)
    assert.equal(err.statusCode, status, `HTTP ${status} expected: ${err.message}`)
    assert.match(err.message, new RegExp(`Returned HTTP ${status} `), 'the message names the status')
    if (message !== undefined) {
      assert.equal(typeof err.error, 'object', 'the error body is parsed')
      const text = typeof err.error.error === 'string' ? err.error.error : JSON.stringify(err.error)
      assert.ok(text.includes(message), `"${message}" expected in the error, got ${JSON.stringify(err.error)}`)
      assert.ok(err.message.includes(message), `the library's message repeats it: ${err.message}`)
    }
    return err
  }
  assert.fail(`HTTP ${status} expected, but the call succeeded: ${JSON.stringify(value)}`)
}

/** Asserts the standard OpenWhisk error body: {error: string, code: string}. */
export function assertErrorBody (err) {
  assert.equal(typeof err.error?.error, 'string', `error body: ${JSON.stringify(err.error)}`)
  assert.equal(typeof err.error?.code, 'string', `error body has a string code: ${JSON.stringify(err.error)}`)
}

/** The value of annotation `key` in an entity or activation, or undefined. */
export function annotation (entity, key) {
  const found = (entity.annotations || []).find(a => a.key === key)
  return found === undefined ? undefined : found.value
}

/** The parameters of an entity as an object. */
export function params (entity) {
  return Object.fromEntries((entity.parameters || []).map(p => [p.key, p.value]))
}

/**
 * Registers entities for deletion when test `t` ends (actions first, then bindings, then
 * packages, each in reverse order of creation); a missing entity is fine.
 */
export function cleanup (t, ow) {
  const actions = []
  const packages = []
  t.after(async () => {
    for (const name of actions.reverse()) await ow.actions.delete({ name }).catch(() => {})
    for (const name of packages.reverse()) await ow.packages.delete({ name }).catch(() => {})
  })
  return {
    action (name) { actions.push(name); return name },
    package (name) { packages.push(name); return name }
  }
}

/** A 32-digit lowercase hex activation id? */
export const ACTIVATION_ID = /^[0-9a-f]{32}$/

/**
 * Reads twice and returns the second read once both agree, so that list checks hold even while
 * other test files add entities to the same namespace.
 */
export async function stable (what, read) {
  return eventually(`${what} stays the same between two reads`, async () => {
    const a = await read()
    const b = await read()
    return JSON.stringify(a) === JSON.stringify(b) ? b : undefined
  })
}

/**
 * Asserts that `items` are ordered newest first by `field` and that the ones named in `mine`
 * (created one after another, oldest first) come in the reverse order of their creation
 * wherever their timestamps differ (two made in the same millisecond may come either way).
 */
export function assertNewestFirst (items, field, key, mine) {
  for (let i = 1; i < items.length; i++) {
    assert.ok(items[i - 1][field] >= items[i][field], `ordered by ${field}, newest first`)
  }
  const ours = items.filter(item => mine.includes(item[key]))
  assert.deepEqual(ours.map(item => item[key]).sort(), [...mine].sort(), 'all of them listed')
  for (let i = 1; i < ours.length; i++) {
    if (ours[i - 1][field] !== ours[i][field]) {
      assert.ok(mine.indexOf(ours[i - 1][key]) > mine.indexOf(ours[i][key]), 'the newer one first')
    }
  }
  return ours
}
