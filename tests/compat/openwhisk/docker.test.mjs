// Container actions (kind nodejs:18, OpenWhisk's own JavaScript action form) through the npm
// `openwhisk` library. They need a server that runs Docker actions: GUST_DOCKER=1.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NEEDS_DOCKER, client, namespaceOf } from '../lib/gust.mjs'
import { annotation, cleanup, eventually, notYet, rejects, unique } from '../lib/util.mjs'

const ow = client()
const ns = await namespaceOf()

if (NEEDS_DOCKER) console.log(`# skipped: container action tests (${NEEDS_DOCKER})`)

const HELLO = `function main(params) {
  console.log('node says hello to ' + params.name)
  return { hello: params.name || 'world', node: process.version.split('.')[0] }
}`

test('a JavaScript action from a string (default kind nodejs:default) runs in nodejs', { skip: NEEDS_DOCKER }, async t => {
  const name = cleanup(t, ow).action(unique('js'))
  const doc = await ow.actions.create({ name, action: HELLO })
  assert.match(doc.exec.kind, /^nodejs:\d+$/, 'nodejs:default resolves to a concrete kind')
  assert.equal(doc.exec.binary, false)
  assert.equal(doc.exec.code, HELLO)
  const record = await ow.actions.invoke({ name, blocking: true, params: { name: 'Node' } })
  assert.deepEqual(record.response.result, { hello: 'Node', node: `v${doc.exec.kind.split(':')[1]}` })
  assert.equal(annotation(record, 'kind'), doc.exec.kind)
  assert.equal(annotation(record, 'path'), `${ns}/${name}`)
  const { logs } = await ow.activations.logs(record.activationId)
  assert.ok(logs.some(l => /\sstdout: node says hello to Node$/.test(l)), JSON.stringify(logs))
})

test('kind nodejs:18 with params, result: true, and an update of the code', { skip: NEEDS_DOCKER }, async t => {
  const name = cleanup(t, ow).action(unique('node18'))
  const doc = await ow.actions.create({ name, action: HELLO, kind: 'nodejs:18', params: { name: 'Default' } })
  assert.equal(doc.exec.kind, 'nodejs:18')
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true }), { hello: 'Default', node: 'v18' })
  await ow.actions.update({ name, action: 'function main(p) { return { twice: p.n * 2 } }', kind: 'nodejs:18' })
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: { n: 21 } }), { twice: 42 })
})

test('a JavaScript application error is 502 with the record', { skip: NEEDS_DOCKER }, async t => {
  const name = cleanup(t, ow).action(unique('jserr'))
  await ow.actions.create({ name, action: 'function main() { return { error: "node failed" } }', kind: 'nodejs:18' })
  const err = await rejects(ow.actions.invoke({ name, blocking: true }), 502, 'node failed')
  assert.equal(err.error.response.status, 'application error')
  assert.deepEqual(err.error.response.result, { error: 'node failed' })
})

// OpenWhisk's Node.js runtime answers /run with 502 "An error has occurred: <e>" when main
// throws (the invoker makes that an action developer error), but resolves a rejected promise
// to {error: serializeError(e)} (an application error whose error is {name, message, stack}).
test('a JavaScript action that throws is an action developer error', { skip: NEEDS_DOCKER }, async t => {
  const name = cleanup(t, ow).action(unique('jsthrow'))
  await ow.actions.create({ name, action: 'function main() { throw new Error("thrown") }', kind: 'nodejs:18' })
  const err = await rejects(ow.actions.invoke({ name, blocking: true }), 502)
  assert.equal(err.error.response.status, 'action developer error', JSON.stringify(err.error.response))
  assert.equal(err.error.response.success, false)
  assert.match(err.error.response.result.error, /^An error has occurred: Error: thrown/)
})

test('a JavaScript action whose promise rejects is an application error with the serialized error', { skip: NEEDS_DOCKER }, async t => {
  const name = cleanup(t, ow).action(unique('jsreject'))
  await ow.actions.create({ name, action: 'function main() { return Promise.reject(new Error("rejected")) }', kind: 'nodejs:18' })
  const err = await rejects(ow.actions.invoke({ name, blocking: true }), 502)
  assert.equal(err.error.response.status, 'application error', JSON.stringify(err.error.response))
  const error = err.error.response.result.error
  assert.equal(error.name, 'Error', JSON.stringify(error))
  assert.equal(error.message, 'rejected')
  assert.equal(typeof error.stack, 'string')
})

test('a non-blocking JavaScript invoke completes', { skip: NEEDS_DOCKER }, async t => {
  const name = cleanup(t, ow).action(unique('jsasync'))
  await ow.actions.create({ name, action: 'function main(p) { return { got: p.v } }', kind: 'nodejs:18' })
  const { activationId } = await ow.actions.invoke({ name, params: { v: 'async' } })
  const result = await eventually('the activation result', () => ow.activations.result(activationId).catch(err => {
    if (err.statusCode === 404) throw notYet('404')
    throw err
  }), { within: 60000 })
  assert.deepEqual(result.result, { got: 'async' })
})
