// Activations through the npm `openwhisk` library: list (name, limit, skip, docs, count,
// since/upto), get, logs and result, and the errors for ids that do not exist or are malformed.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { client, wasm, namespaceOf } from '../lib/gust.mjs'
import { ACTIVATION_ID, annotation, assertNewestFirst, cleanup, eventually, notYet, rejects, unique } from '../lib/util.mjs'

const ow = client()
const ns = await namespaceOf()

/** Creates a `hello` action and invokes it once per name (blocking); returns the records. */
async function helloRuns (t, names) {
  const name = cleanup(t, ow).action(unique('hello'))
  await ow.actions.create({ name, action: wasm('hello'), kind: 'wasm:wasip1' })
  const records = []
  for (const who of names) records.push(await ow.actions.invoke({ name, blocking: true, params: { name: who } }))
  return { name, records }
}

/** Lists the activations of `name` until `n` are there (records are written asynchronously). */
async function listed (name, n, extra = {}) {
  return eventually(`${n} activations of ${name} listed`, async () => {
    const list = await ow.activations.list({ name, limit: 200, ...extra })
    if (list.length < n) throw notYet(`${list.length} listed`)
    return list
  })
}

test('list by name shows summaries newest first; limit and skip page through them', async t => {
  const { name, records } = await helloRuns(t, ['a', 'b', 'c'])
  const all = await listed(name, 3)
  assert.equal(all.length, 3, 'exactly these')
  assertNewestFirst(all, 'start', 'activationId', records.map(r => r.activationId))
  const ids = all.map(a => a.activationId)
  const item = all[0]
  assert.equal(item.name, name)
  assert.equal(item.namespace, ns)
  assert.equal(item.version, '0.0.1')
  assert.equal(item.response, undefined, 'a summary has no response')
  assert.equal(item.logs, undefined, 'a summary has no logs')
  assert.equal(item.statusCode, 0)
  assert.equal(typeof item.start, 'number')
  assert.equal(annotation(item, 'path'), `${ns}/${name}`)
  assert.deepEqual((await ow.activations.list({ name, limit: 2 })).map(a => a.activationId), ids.slice(0, 2))
  assert.deepEqual((await ow.activations.list({ name, skip: 1, limit: 1 })).map(a => a.activationId), ids.slice(1, 2))
  assert.deepEqual(await ow.activations.list({ name, count: true }), { activations: 3 })
})

test('list with docs: true returns full records', async t => {
  const { name, records } = await helloRuns(t, ['docs'])
  const [doc] = await listed(name, 1, { docs: true })
  assert.equal(doc.activationId, records[0].activationId)
  assert.deepEqual(doc.response.result, { greeting: 'Hello, docs!' })
  assert.equal(doc.response.success, true)
  assert.ok(Array.isArray(doc.logs))
})

test('list without a name includes new activations; since and upto bound the start time', async t => {
  const { name, records } = await helloRuns(t, ['x'])
  const id = records[0].activationId
  const start = records[0].start
  await eventually('the activation in the namespace list', async () => {
    const list = await ow.activations.list({ limit: 200 })
    return list.some(a => a.activationId === id) || undefined
  })
  const around = await ow.activations.list({ name, since: start, upto: start })
  assert.deepEqual(around.map(a => a.activationId), [id], 'since and upto are inclusive')
  assert.deepEqual(await ow.activations.list({ name, since: start + 1 }), [])
  assert.deepEqual(await ow.activations.list({ name, upto: start - 1 }), [])
})

test('get returns the full record, by id string or {activationId} or {name}', async t => {
  const { name, records } = await helloRuns(t, ['Get'])
  const id = records[0].activationId
  const record = await ow.activations.get(id)
  assert.equal(record.activationId, id)
  assert.equal(record.name, name)
  assert.equal(record.namespace, ns)
  assert.deepEqual(record.response.result, { greeting: 'Hello, Get!' })
  assert.equal(record.response.status, 'success')
  assert.equal(annotation(record, 'kind'), 'wasm:wasip1')
  assert.equal((await ow.activations.get({ activationId: id })).activationId, id)
  assert.equal((await ow.activations.get({ name: id })).activationId, id)
})

test('logs returns the action\'s log lines with timestamps and stream', async t => {
  const { records } = await helloRuns(t, ['Logs'])
  const id = records[0].activationId
  const { logs } = await ow.activations.logs(id)
  assert.ok(Array.isArray(logs), JSON.stringify(logs))
  const line = logs.find(l => l.includes('hello: greeting Logs'))
  assert.ok(line, `the log line is there: ${JSON.stringify(logs)}`)
  assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z\s+stderr: hello: greeting Logs$/)
})

test('result returns the response without the record around it', async t => {
  const { records } = await helloRuns(t, ['Result'])
  const result = await ow.activations.result({ activationId: records[0].activationId })
  assert.deepEqual(result.result, { greeting: 'Hello, Result!' })
  assert.equal(result.success, true)
  assert.equal(result.status, 'success')
})

test('the record of an application error says so in get, result and list', async t => {
  const name = cleanup(t, ow).action(unique('fail'))
  await ow.actions.create({ name, action: wasm('echo'), kind: 'wasm:wasip1' })
  const err = await rejects(ow.actions.invoke({ name, blocking: true, params: { error: 'bad' } }), 502, 'bad')
  const id = err.error.activationId
  const result = await ow.activations.result(id)
  assert.deepEqual(result, { result: { error: 'bad' }, success: false, status: 'application error', ...(result.size === undefined ? {} : { size: result.size }) })
  const [item] = await listed(name, 1)
  assert.equal(item.statusCode, 1)
})

test('an unknown activation id is 404; a malformed one is 400', async () => {
  const missing = '0123456789abcdef0123456789abcdef'
  await rejects(ow.activations.get(missing), 404, 'The requested resource does not exist.')
  await rejects(ow.activations.logs(missing), 404, 'The requested resource does not exist.')
  await rejects(ow.activations.result(missing), 404, 'The requested resource does not exist.')
  await rejects(ow.activations.get('not-an-id'), 400, 'Activation id length is 9 but must be 32.')
  await rejects(ow.activations.get('0123456789abcdef0123456789abcdeg'), 400, 'The activation id is not valid.')
})

test('a non-blocking invoke\'s activation is listed, then readable', async t => {
  const name = cleanup(t, ow).action(unique('async'))
  await ow.actions.create({ name, action: wasm('echo'), kind: 'wasm:wasip1' })
  const { activationId } = await ow.actions.invoke({ name, params: { later: true } })
  assert.match(activationId, ACTIVATION_ID)
  const [item] = await listed(name, 1)
  assert.equal(item.activationId, activationId)
  assert.deepEqual((await ow.activations.result(activationId)).result, { later: true })
})
