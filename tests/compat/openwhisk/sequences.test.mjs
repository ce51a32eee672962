// Sequences (actions of kind `sequence`) through the npm `openwhisk` library, with the Wasm
// echo and hello actions as components: create (the library's `sequence` option and a full
// exec object), get, list, update, invoke (blocking, result only, non-blocking), the records a
// sequence leaves (its own with the component ids as logs, and one per component caused by
// it), a failing component stopping the sequence, nested sequences, and the refusals on create
// and update (empty, missing component, cycles, too long).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APIHOST, client, wasm, namespaceOf } from '../lib/gust.mjs'
import { ACTIVATION_ID, annotation, cleanup, eventually, notYet, rejects, unique } from '../lib/util.mjs'

const ow = client()
const ns = await namespaceOf()

/** The most atomic actions a sequence may hold, as the deployment says (GET /; 50 by default). */
const SEQUENCE_LENGTH = await sequenceLength()

async function sequenceLength () {
  const info = await (await fetch(`${APIHOST}/`)).json()
  const length = info?.limits?.sequence_length
  if (!Number.isInteger(length) || length < 2) {
    throw new Error(`GET / should give limits.sequence_length, got ${JSON.stringify(info)}`)
  }
  return length
}

/** Creates a Wasm action from fixture `fixture` (extra: library create options). */
async function wasmAction (t, fixture, extra = {}) {
  const name = cleanup(t, ow).action(unique(fixture))
  await ow.actions.create({ name, action: wasm(fixture), kind: 'wasm:wasip1', ...extra })
  return name
}

/** Creates a sequence of `components` (short names, sent as `/_/name`) with the `sequence` option. */
async function sequence (t, components) {
  const name = cleanup(t, ow).action(unique('seq'))
  const doc = await ow.actions.create({ name, sequence: components.map(c => `/_/${c}`) })
  return { name, doc }
}

/** The components of a sequence as OpenWhisk stores them: resolved to the caller's namespace. */
function resolved (components) {
  return components.map(c => `/${ns}/${c}`)
}

/** The full record of activation `id`, once it is stored (records are written asynchronously). */
async function record (id) {
  return eventually(`the record of ${id}`, () => ow.activations.get(id).catch(err => {
    if (err.statusCode === 404) throw notYet('404')
    throw err
  }))
}

/**
 * Checks the record of sequence `name` against OpenWhisk's: kind `sequence`, its components'
 * activation ids as logs (each of those records caused by it and annotated causedBy
 * `sequence`), its duration the sum of theirs, its memory limit their maximum. Returns the
 * component records, in order.
 */
async function assertSequenceRecord (seq, name, { components, topmost = true }) {
  assert.equal(seq.name, name)
  assert.equal(seq.namespace, ns)
  assert.match(seq.activationId, ACTIVATION_ID)
  assert.equal(annotation(seq, 'kind'), 'sequence')
  assert.equal(annotation(seq, 'path'), `${ns}/${name}`)
  assert.equal(annotation(seq, 'topmost'), topmost)
  assert.ok(Array.isArray(seq.logs), `logs: ${JSON.stringify(seq.logs)}`)
  assert.equal(seq.logs.length, components.length, `one log entry per component run: ${JSON.stringify(seq.logs)}`)
  for (const id of seq.logs) assert.match(id, ACTIVATION_ID, 'a sequence\'s logs are activation ids')
  const records = []
  for (const id of seq.logs) records.push(await record(id))
  records.forEach((r, i) => {
    assert.equal(r.name, components[i], `component ${i} is ${components[i]}`)
    assert.equal(r.cause, seq.activationId, 'a component\'s cause is the sequence\'s activation')
    assert.equal(annotation(r, 'causedBy'), 'sequence')
    assert.equal(typeof annotation(r, 'limits')?.memory, 'number', `a limits annotation: ${JSON.stringify(r.annotations)}`)
  })
  assert.equal(seq.duration, records.reduce((sum, r) => sum + r.duration, 0), 'the sum of the components\' durations')
  const memory = Math.max(...records.map(r => annotation(r, 'limits').memory))
  assert.equal(annotation(seq, 'limits').memory, memory, 'the largest memory limit of the components')
  return records
}

test('create, get and list a sequence: its components are stored with the caller\'s namespace', async t => {
  const a = await wasmAction(t, 'echo')
  const b = await wasmAction(t, 'echo')
  const name = cleanup(t, ow).action(unique('seq'))
  const doc = await ow.actions.create({ name, action: { exec: { kind: 'sequence', components: [`/_/${a}`, `/_/${b}`] } } })
  assert.equal(doc.name, name)
  assert.equal(doc.namespace, ns)
  assert.equal(doc.version, '0.0.1')
  assert.deepEqual(doc.exec, { kind: 'sequence', components: resolved([a, b]) })
  assert.equal(annotation(doc, 'exec'), 'sequence')
  const got = await ow.actions.get({ name })
  assert.deepEqual(got.exec, { kind: 'sequence', components: resolved([a, b]) })
  assert.equal(annotation(got, 'exec'), 'sequence')
  assert.deepEqual((await ow.actions.get({ name: `/${ns}/${name}` })).exec, got.exec, 'by its fully qualified name')
  const item = await eventually('the sequence in the action list', async () => {
    return (await ow.actions.list({ limit: 200 })).find(i => i.name === name)
  })
  assert.equal(item.namespace, ns)
  assert.equal(annotation(item, 'exec'), 'sequence')
  assert.equal(item.exec.binary, false)
  assert.equal(item.exec.components, undefined, 'a list has no components, like it has no code')
})

test('a blocking invoke runs the components in order: result, record and component records', async t => {
  const a = await wasmAction(t, 'echo', { limits: { memory: 128 } })
  const b = await wasmAction(t, 'echo', { limits: { memory: 192 } })
  const { name, doc } = await sequence(t, [a, b])
  assert.deepEqual(doc.exec.components, resolved([a, b]))
  const params = { text: 'through two echoes', nested: { n: [1, 2] } }
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params }), params)
  const seq = await ow.actions.invoke({ name, blocking: true, params })
  assert.deepEqual(seq.response.result, params)
  assert.equal(seq.response.status, 'success')
  assert.equal(seq.response.success, true)
  assert.equal(seq.cause, undefined, 'a topmost sequence has no cause')
  const [first, second] = await assertSequenceRecord(seq, name, { components: [a, b] })
  assert.deepEqual(first.response.result, params, 'the first component gets the sequence\'s input')
  assert.deepEqual(second.response.result, params, 'the second gets the first\'s result')
  assert.equal(annotation(first, 'limits').memory, 128)
  assert.equal(annotation(second, 'limits').memory, 192)
  assert.deepEqual(await record(seq.activationId).then(r => r.logs), seq.logs, 'the stored record is the one returned')
})

test('a non-blocking invoke returns the sequence\'s activation id; its record appears with the components\'', async t => {
  const echo = await wasmAction(t, 'echo')
  const hello = await wasmAction(t, 'hello')
  const { name } = await sequence(t, [echo, hello])
  const { activationId } = await ow.actions.invoke({ name, params: { name: 'Sequence' } })
  assert.match(activationId, ACTIVATION_ID)
  const seq = await record(activationId)
  assert.equal(seq.activationId, activationId)
  assert.deepEqual(seq.response.result, { greeting: 'Hello, Sequence!' })
  const [first, second] = await assertSequenceRecord(seq, name, { components: [echo, hello] })
  assert.deepEqual(first.response.result, { name: 'Sequence' })
  assert.deepEqual(second.response.result, { greeting: 'Hello, Sequence!' })
  assert.equal(annotation(second, 'kind'), 'wasm:wasip1')
})

test('a component that fails stops the sequence: 502 with its error, the rest not run', async t => {
  const a = await wasmAction(t, 'echo')
  const failing = await wasmAction(t, 'echo', { params: { error: 'boom' } })
  const never = await wasmAction(t, 'echo')
  const { name } = await sequence(t, [a, failing, never])
  const err = await rejects(ow.actions.invoke({ name, blocking: true, params: { v: 1 } }), 502, 'boom')
  const seq = err.error
  assert.equal(seq.response.status, 'application error')
  assert.equal(seq.response.success, false)
  assert.deepEqual(seq.response.result, { error: 'boom' }, 'an error result keeps only its error field')
  const [, second] = await assertSequenceRecord(seq, name, { components: [a, failing] })
  assert.equal(second.response.status, 'application error')
  assert.deepEqual(second.response.result, { error: 'boom' })
  assert.deepEqual(await ow.activations.list({ name: never }), [], 'the third component never ran')
})

test('a component deleted after the sequence was made fails the sequence when it is reached', async t => {
  const a = await wasmAction(t, 'echo')
  const gone = await wasmAction(t, 'echo')
  const { name } = await sequence(t, [a, gone])
  await ow.actions.delete({ name: gone })
  const err = await rejects(ow.actions.invoke({ name, blocking: true, params: { v: 1 } }), 502, 'Sequence component does not exist.')
  const seq = err.error
  assert.equal(seq.response.status, 'application error')
  assert.deepEqual(seq.response.result, { error: 'Sequence component does not exist.' })
  await assertSequenceRecord(seq, name, { components: [a] })
})

test('a sequence whose component is a sequence: the inner one has its own record, caused by the outer', async t => {
  const e1 = await wasmAction(t, 'echo')
  const e2 = await wasmAction(t, 'echo')
  const hello = await wasmAction(t, 'hello')
  const { name: inner } = await sequence(t, [e1, e2])
  const { name: outer, doc } = await sequence(t, [e1, inner, hello])
  assert.deepEqual(doc.exec.components, resolved([e1, inner, hello]))
  const seq = await ow.actions.invoke({ name: outer, blocking: true, params: { name: 'Nested' } })
  assert.deepEqual(seq.response.result, { greeting: 'Hello, Nested!' })
  const [, innerRecord] = await assertSequenceRecord(seq, outer, { components: [e1, inner, hello] })
  assert.deepEqual(innerRecord.response.result, { name: 'Nested' })
  // the inner sequence's components are caused by it, not by the outer one
  await assertSequenceRecord(innerRecord, inner, { components: [e1, e2], topmost: false })
})

test('update replaces a sequence\'s components', async t => {
  const echo = await wasmAction(t, 'echo')
  const hello = await wasmAction(t, 'hello')
  const { name } = await sequence(t, [echo])
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: { name: 'Before' } }), { name: 'Before' })
  const updated = await ow.actions.update({ name, sequence: [`/_/${echo}`, `/_/${hello}`] })
  assert.deepEqual(updated.exec, { kind: 'sequence', components: resolved([echo, hello]) })
  assert.equal(updated.version, '0.0.2')
  assert.deepEqual((await ow.actions.get({ name })).exec.components, resolved([echo, hello]))
  const seq = await ow.actions.invoke({ name, blocking: true, params: { name: 'After' } })
  assert.deepEqual(seq.response.result, { greeting: 'Hello, After!' })
  await assertSequenceRecord(seq, name, { components: [echo, hello] })
})

test('create refuses an empty sequence, a missing component, itself as a component and too many actions', async t => {
  const echo = await wasmAction(t, 'echo')
  const refused = async (components, message) => {
    const name = cleanup(t, ow).action(unique('refused'))
    await rejects(ow.actions.create({ name, action: { exec: { kind: 'sequence', components } } }), 400, message)
    await rejects(ow.actions.get({ name }), 404)
  }
  await refused([], 'No component specified for the sequence.')
  await refused([`/_/${echo}`, `/_/${unique('missing')}`], 'Sequence component does not exist.')
  await refused(Array(SEQUENCE_LENGTH + 1).fill(`/_/${echo}`), 'Too many actions in the sequence.')
  const self = cleanup(t, ow).action(unique('self'))
  await rejects(ow.actions.create({ name: self, sequence: [`/_/${echo}`, `/_/${self}`] }), 400, 'Sequence may not refer to itself.')
  await rejects(ow.actions.get({ name: self }), 404)
  const full = (await sequence(t, Array(SEQUENCE_LENGTH).fill(echo))).name
  assert.equal((await ow.actions.get({ name: full })).exec.components.length, SEQUENCE_LENGTH, 'the limit itself is allowed')
})

test('the length limit counts the atomic actions of nested sequences', async t => {
  const echo = await wasmAction(t, 'echo')
  const { name: half } = await sequence(t, Array(Math.floor(SEQUENCE_LENGTH / 2)).fill(echo))
  // two halves (and one more echo when the limit is odd) make exactly the limit
  const full = [half, half, ...(SEQUENCE_LENGTH % 2 ? [echo] : [])].map(c => `/_/${c}`)
  const name = cleanup(t, ow).action(unique('toolong'))
  await rejects(ow.actions.create({ name, sequence: [...full, `/_/${echo}`] }), 400, 'Too many actions in the sequence.')
  await rejects(ow.actions.get({ name }), 404)
  const doc = await ow.actions.create({ name, sequence: full })
  assert.equal(doc.exec.components.length, full.length)
})

test('update refuses a cycle: a sequence listing itself, a component made a sequence of its container', async t => {
  const echo = await wasmAction(t, 'echo')
  const component = await wasmAction(t, 'echo')
  const { name: inner } = await sequence(t, [echo])
  const { name: outer } = await sequence(t, [inner, component])
  await rejects(ow.actions.update({ name: outer, sequence: [`/_/${inner}`, `/_/${outer}`] }), 400, 'Sequence may not refer to itself.')
  await rejects(ow.actions.update({ name: inner, sequence: [`/_/${outer}`] }), 400, 'Sequence may not refer to itself.')
  await rejects(ow.actions.update({ name: component, sequence: [`/_/${echo}`, `/_/${outer}`] }), 400, 'Sequence may not refer to itself.')
  assert.deepEqual((await ow.actions.get({ name: outer })).exec.components, resolved([inner, component]), 'outer unchanged')
  assert.deepEqual((await ow.actions.get({ name: inner })).exec.components, resolved([echo]), 'inner unchanged')
  assert.equal((await ow.actions.get({ name: component })).exec.kind, 'wasm:wasip1', 'the component unchanged')
  assert.deepEqual(await ow.actions.invoke({ name: outer, blocking: true, result: true, params: { still: 'fine' } }), { still: 'fine' })
})
