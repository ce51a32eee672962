// Actions through the npm `openwhisk` library: create (Wasm code as a Buffer, as a full
// action object, with exec overrides), get (with and without code), list (skip, limit,
// count), update, delete, invoke (non-blocking, blocking, result only, parameters), and the
// errors the library turns the server's answers into.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { client, wasm, namespaceOf } from '../lib/gust.mjs'
import {
  ACTIVATION_ID, annotation, assertErrorBody, assertNewestFirst, cleanup, eventually, notYet, params, rejects, stable, unique
} from '../lib/util.mjs'

const ow = client()
const ns = await namespaceOf()

/** Creates a Wasm action from fixture `fixture` with the library's Buffer form. */
async function createWasm (t, fixture, extra = {}) {
  const name = cleanup(t, ow).action(unique(fixture))
  const doc = await ow.actions.create({ name, action: wasm(fixture), kind: 'wasm:wasip1', ...extra })
  return { name, doc }
}

test('create from a Buffer sends base64 code of kind wasm:wasip1 and returns the stored action', async t => {
  const { name, doc } = await createWasm(t, 'echo')
  assert.equal(doc.name, name)
  assert.equal(doc.namespace, ns)
  assert.equal(doc.exec.kind, 'wasm:wasip1')
  assert.equal(doc.exec.binary, true)
  assert.equal(doc.exec.code, wasm('echo').toString('base64'))
  assert.equal(doc.version, '0.0.1')
  assert.equal(doc.publish, false)
  assert.equal(annotation(doc, 'exec'), 'wasm:wasip1')
  assert.deepEqual(doc.parameters, [])
  assert.deepEqual(doc.limits, { timeout: 60000, memory: 256, logs: 10, concurrency: 1 })
  assert.equal(typeof doc.updated, 'number')
})

test('create from a full action object (exec, parameters, annotations, limits)', async t => {
  const name = cleanup(t, ow).action(unique('object'))
  const doc = await ow.actions.create({
    name,
    action: {
      exec: { kind: 'wasm:wasip1', code: wasm('hello').toString('base64') },
      parameters: [{ key: 'name', value: 'Object' }],
      annotations: [{ key: 'description', value: 'made from an object' }],
      limits: { timeout: 5000, memory: 128 }
    }
  })
  assert.equal(doc.exec.kind, 'wasm:wasip1')
  assert.equal(doc.exec.binary, true)
  assert.deepEqual(params(doc), { name: 'Object' })
  assert.equal(annotation(doc, 'description'), 'made from an object')
  assert.equal(annotation(doc, 'exec'), 'wasm:wasip1')
  assert.deepEqual(doc.limits, { timeout: 5000, memory: 128, logs: 10, concurrency: 1 })
  const result = await ow.actions.invoke({ name, blocking: true, result: true })
  assert.deepEqual(result, { greeting: 'Hello, Object!' })
})

test('create with an exec object that overrides the derived one, plus params, annotations, limits, version', async t => {
  const name = cleanup(t, ow).action(unique('exec'))
  const doc = await ow.actions.create({
    name,
    action: wasm('hello'),
    // the library derives {kind: 'nodejs:default', code: <base64>}; exec overrides the kind
    exec: { kind: 'wasm:wasip1' },
    params: { name: 'Exec' },
    annotations: { description: 'exec override' },
    limits: { timeout: 3000 },
    version: '1.2.3'
  })
  assert.equal(doc.exec.kind, 'wasm:wasip1')
  assert.equal(doc.exec.code, wasm('hello').toString('base64'))
  assert.deepEqual(params(doc), { name: 'Exec' })
  assert.equal(annotation(doc, 'description'), 'exec override')
  assert.equal(doc.limits.timeout, 3000)
  assert.equal(doc.version, '1.2.3')
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true }), { greeting: 'Hello, Exec!' })
})

test('get returns the code by default and leaves it out with code: false', async t => {
  const { name } = await createWasm(t, 'echo')
  const full = await ow.actions.get({ name })
  assert.equal(full.name, name)
  assert.equal(full.namespace, ns)
  assert.equal(full.exec.code, wasm('echo').toString('base64'))
  const byString = await ow.actions.get(name)
  assert.equal(byString.exec.code, full.exec.code, 'get(name) is get({name})')
  const bare = await ow.actions.get({ name, code: false })
  assert.equal(bare.exec.code, undefined)
  assert.equal(bare.exec.kind, 'wasm:wasip1')
  assert.equal(bare.exec.binary, true)
  assert.equal(bare.version, full.version)
})

test('get accepts fully qualified names and an explicit namespace', async t => {
  const { name } = await createWasm(t, 'echo')
  const qualified = await ow.actions.get({ name: `/${ns}/${name}`, code: false })
  assert.equal(qualified.name, name)
  const explicit = await ow.actions.get({ name, namespace: ns, code: false })
  assert.equal(explicit.name, name)
  const other = client(undefined, { namespace: ns })
  assert.equal((await other.actions.get({ name, code: false })).name, name, 'namespace as a client option')
})

test('get and invoke of several actions at once (arrays)', async t => {
  const a = await createWasm(t, 'echo')
  const b = await createWasm(t, 'hello')
  const docs = await ow.actions.get([a.name, { name: b.name, code: false }])
  assert.deepEqual(docs.map(d => d.name), [a.name, b.name])
  // With an array the library (3.21) builds no query for the items: every invoke is a
  // non-blocking one, whatever the item asks for (its params still go as the body).
  const accepted = await ow.actions.invoke([a.name, { name: b.name, blocking: true, params: { name: 'Array' } }])
  assert.equal(accepted.length, 2)
  for (const { activationId } of accepted) assert.match(activationId, ACTIVATION_ID)
  const record = await eventually('the record of the second invoke', () =>
    ow.activations.get(accepted[1].activationId).catch(err => {
      if (err.statusCode === 404) throw notYet('404')
      throw err
    }))
  assert.deepEqual(record.response.result, { greeting: 'Hello, Array!' })
})

test('list shows summaries newest first, with skip, limit and count', async t => {
  const names = []
  for (let i = 0; i < 3; i++) names.push((await createWasm(t, 'echo')).name)
  const [all, page, count] = await stable('the action list', () => Promise.all([
    ow.actions.list({ limit: 200 }),
    ow.actions.list({ skip: 1, limit: 2 }),
    ow.actions.list({ count: true })
  ]))
  const ours = assertNewestFirst(all, 'updated', 'name', names)
  const item = ours[0]
  assert.equal(item.namespace, ns)
  assert.equal(item.exec.code, undefined, 'no code in a list')
  assert.equal(item.exec.binary, true)
  assert.equal(item.version, '0.0.1')
  assert.equal(annotation(item, 'exec'), 'wasm:wasip1')
  assert.deepEqual(page.map(a => a.name), all.slice(1, 3).map(a => a.name))
  if (all.length < 200) assert.deepEqual(count, { actions: all.length })
  else assert.ok(count.actions >= 200, JSON.stringify(count))
  assert.equal((await ow.actions.list({ limit: 1 })).length, 1)
  assert.ok((await ow.actions.list()).length <= 30, 'the default limit is 30')
})

test('update replaces the code, bumps the version and keeps what it does not name', async t => {
  const { name } = await createWasm(t, 'echo', { params: { keep: 'me' }, annotations: { description: 'v1' } })
  const updated = await ow.actions.update({ name, action: wasm('hello'), kind: 'wasm:wasip1' })
  assert.equal(updated.version, '0.0.2')
  assert.equal(updated.exec.code, wasm('hello').toString('base64'))
  assert.equal(annotation(updated, 'description'), 'v1', 'annotations merge on update')
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: { name: 'New' } }),
    { greeting: 'Hello, New!' })
  const onlyParams = await ow.actions.update({ name, params: { name: 'Param' } })
  assert.equal(onlyParams.version, '0.0.3')
  assert.equal(onlyParams.exec.kind, 'wasm:wasip1', 'exec kept when the update has none')
  assert.deepEqual(params(onlyParams), { name: 'Param' }, 'parameters replaced')
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true }), { greeting: 'Hello, Param!' })
})

test('create of an existing action without overwrite is 409', async t => {
  const { name } = await createWasm(t, 'echo')
  const err = await rejects(ow.actions.create({ name, action: wasm('echo'), kind: 'wasm:wasip1' }), 409,
    'resource already exists')
  assertErrorBody(err)
})

test('delete returns the action; afterwards get, invoke and delete are 404', async t => {
  const { name } = await createWasm(t, 'echo')
  const deleted = await ow.actions.delete({ name })
  assert.equal(deleted.name, name)
  assert.equal(deleted.exec.kind, 'wasm:wasip1')
  const err = await rejects(ow.actions.get({ name }), 404, 'The requested resource does not exist.')
  assertErrorBody(err)
  assert.match(err.message, /^GET .*\/api\/v1\/namespaces\/_\/actions\/.* Returned HTTP 404 \(Not Found\) --> "The requested resource does not exist\."$/)
  await rejects(ow.actions.invoke({ name, blocking: true }), 404, 'The requested resource does not exist.')
  await rejects(ow.actions.delete(name), 404, 'The requested resource does not exist.')
})

test('a missing action is 404 for get, invoke and delete', async () => {
  const name = unique('missing')
  await rejects(ow.actions.get({ name }), 404, 'The requested resource does not exist.')
  await rejects(ow.actions.invoke({ name }), 404, 'The requested resource does not exist.')
  await rejects(ow.actions.invoke({ name, blocking: true, result: true }), 404, 'The requested resource does not exist.')
  await rejects(ow.actions.delete({ name }), 404, 'The requested resource does not exist.')
})

test('a non-blocking invoke returns an activation id whose record appears', async t => {
  const { name } = await createWasm(t, 'echo')
  const accepted = await ow.actions.invoke({ name, params: { n: 42 } })
  assert.deepEqual(Object.keys(accepted), ['activationId'])
  assert.match(accepted.activationId, ACTIVATION_ID)
  const record = await eventually('the activation record', () =>
    ow.activations.get({ activationId: accepted.activationId }).catch(err => {
      if (err.statusCode === 404) throw notYet('404')
      throw err
    }))
  assert.equal(record.activationId, accepted.activationId)
  assert.equal(record.name, name)
  assert.deepEqual(record.response.result, { n: 42 })
  assert.equal(record.response.success, true)
})

test('a blocking invoke returns the whole activation record', async t => {
  const { name } = await createWasm(t, 'hello')
  const record = await ow.actions.invoke({ name, blocking: true, params: { name: 'Block' } })
  assert.match(record.activationId, ACTIVATION_ID)
  assert.equal(record.namespace, ns)
  assert.equal(record.name, name)
  assert.equal(typeof record.subject, 'string')
  assert.equal(record.version, '0.0.1')
  assert.equal(record.publish, false)
  assert.deepEqual(record.response, {
    status: 'success',
    success: true,
    result: { greeting: 'Hello, Block!' },
    ...(record.response.size === undefined ? {} : { size: record.response.size })
  })
  assert.equal(typeof record.start, 'number')
  assert.ok(record.end >= record.start)
  assert.equal(record.duration, record.end - record.start)
  assert.ok(Array.isArray(record.logs))
  assert.equal(annotation(record, 'path'), `${ns}/${name}`)
  assert.equal(annotation(record, 'kind'), 'wasm:wasip1')
  assert.deepEqual(annotation(record, 'limits'), { timeout: 60000, memory: 256, logs: 10, concurrency: 1 })
  assert.equal(typeof annotation(record, 'waitTime'), 'number')
  assert.equal(annotation(record, 'timeout'), false)
})

test('a blocking invoke with result: true returns only the result', async t => {
  const { name } = await createWasm(t, 'echo')
  const params = { text: 'hi', nested: { list: [1, 2, 3] }, flag: true, nothing: null }
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params }), params)
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true }), {})
})

test('invoke parameters override the action\'s default parameters', async t => {
  const { name } = await createWasm(t, 'echo', { params: { a: 'action', b: 'action' } })
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: { b: 'request', c: 'request' } }),
    { a: 'action', b: 'request', c: 'request' })
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true }), { a: 'action', b: 'action' })
})

test('an application error is 502 with the activation record as the error body', async t => {
  const { name } = await createWasm(t, 'echo')
  const err = await rejects(ow.actions.invoke({ name, blocking: true, params: { error: 'boom' } }), 502, 'boom')
  assert.match(err.message, /Returned HTTP 502 \(Bad Gateway\) --> "boom"$/)
  const record = err.error
  assert.match(record.activationId, ACTIVATION_ID)
  assert.equal(record.name, name)
  assert.deepEqual(record.response.result, { error: 'boom' })
  assert.equal(record.response.status, 'application error')
  assert.equal(record.response.success, false)
  assert.equal(record.code, undefined, 'an activation, not an error body')
  const stored = await ow.activations.get(record.activationId)
  assert.equal(stored.response.status, 'application error')
})

test('an application error with result: true also rejects with the record', async t => {
  const { name } = await createWasm(t, 'echo')
  const err = await rejects(ow.actions.invoke({ name, blocking: true, result: true, params: { error: { error: 'deep' } } }),
    502)
  assert.match(err.message, /--> "deep"$/, 'the library digs out a nested error message')
  assert.deepEqual(err.error.response.result, { error: { error: 'deep' } })
})

test('names with the allowed special characters work end to end', async t => {
  const name = cleanup(t, ow).action(`${unique('odd')}@x.y&z -w`)
  await ow.actions.create({ name, action: wasm('echo'), kind: 'wasm:wasip1' })
  assert.equal((await ow.actions.get({ name, code: false })).name, name)
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: { ok: 1 } }), { ok: 1 })
})

test('an invalid kind and a missing exec are rejected with 400', async () => {
  const name = unique('bad')
  await rejects(ow.actions.create({ name, action: wasm('echo'), kind: 'cobol:85' }), 400,
    "The specified runtime 'cobol:85' is not supported by this platform.")
  await rejects(ow.actions.create({ name, action: {} }), 400, 'exec undefined')
})

test('limits at the bounds are stored; beyond them the create is 400 with OpenWhisk\'s messages', async t => {
  const { doc } = await createWasm(t, 'echo', { limits: { timeout: 300000, memory: 512, logs: 0 } })
  assert.deepEqual(doc.limits, { timeout: 300000, memory: 512, logs: 0, concurrency: 1 })
  const name = unique('limits')
  const create = limits => ow.actions.create({ name, action: wasm('echo'), kind: 'wasm:wasip1', limits })
  await rejects(create({ memory: 1024 }), 400, 'memory size 1024 MB exceeds allowed threshold of 512 MB')
  await rejects(create({ memory: 64 }), 400, 'memory size 64 MB below allowed threshold of 128 MB')
  await rejects(create({ timeout: 400000 }), 400, 'duration 400000 milliseconds exceeds allowed threshold of 300000 milliseconds')
  await rejects(create({ logs: 20 }), 400, 'log size 20 MB exceeds allowed threshold of 10 MB')
  await rejects(ow.actions.get({ name }), 404)
})

test('wrong credentials are 401', async () => {
  const bad = client('23bc46b1-71f6-4ed5-8c54-816aa4f8c502:not-the-key-not-the-key-not-the-key-not-the-key-not-the-key-0000')
  const err = await rejects(bad.actions.list(), 401, 'The supplied authentication is invalid')
  assertErrorBody(err)
})
