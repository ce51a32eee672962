// Conductor actions (actions annotated `conductor: true`, OpenWhisk's docs/conductors.md)
// through the npm `openwhisk` library: upstream's tripleAndIncrement example, the primary record
// and the derived ones, a conductor naming an action that does not exist, and a conductor that
// asks for no action. The conductor is JavaScript, so this needs container actions:
// GUST_DOCKER=1.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NEEDS_DOCKER, client, namespaceOf } from '../lib/gust.mjs'
import { ACTIVATION_ID, annotation, cleanup, eventually, notYet, rejects, unique } from '../lib/util.mjs'

const ow = client()
const ns = await namespaceOf()

if (NEEDS_DOCKER) console.log(`# skipped: conductor action tests (${NEEDS_DOCKER})`)

const TRIPLE = 'function main({ value }) { return { value: value * 3 } }'
const INCREMENT = 'function main({ value }) { return { value: value + 1 } }'

/** docs/conductors.md's tripleAndIncrement, with the names of this test's triple and increment. */
function tripleAndIncrement (triple, increment) {
  return `function main(params) {
    let step = params.$step || 0
    delete params.$step
    switch (step) {
        case 0: return { action: ${JSON.stringify(triple)}, params, state: { $step: 1 } }
        case 1: return { action: ${JSON.stringify(increment)}, params, state: { $step: 2 } }
        case 2: return { params }
    }
}`
}

/** The full record of activation `id`, once it is stored (records are written asynchronously). */
async function record (id) {
  return eventually(`the record of ${id}`, () => ow.activations.get(id).catch(err => {
    if (err.statusCode === 404) throw notYet('404')
    throw err
  }), { within: 60000 })
}

/**
 * Checks a conductor's primary record: annotations conductor and kind `sequence`, the derived
 * activations' ids as logs, each of those records caused by it (annotated causedBy `sequence`)
 * and named as `names` says, its duration the sum of theirs. Returns the derived records.
 */
async function assertPrimary (primary, name, names) {
  assert.equal(primary.name, name)
  assert.equal(primary.namespace, ns)
  assert.match(primary.activationId, ACTIVATION_ID)
  assert.equal(annotation(primary, 'conductor'), true)
  assert.equal(annotation(primary, 'kind'), 'sequence')
  assert.equal(annotation(primary, 'topmost'), true)
  assert.equal(annotation(primary, 'path'), `${ns}/${name}`)
  assert.equal(primary.cause, undefined, 'a topmost primary record has no cause')
  assert.ok(Array.isArray(primary.logs), `logs: ${JSON.stringify(primary.logs)}`)
  assert.equal(primary.logs.length, names.length, `the derived activations: ${JSON.stringify(primary.logs)}`)
  const derived = []
  for (const id of primary.logs) derived.push(await record(id))
  derived.forEach((r, i) => {
    assert.equal(r.name, names[i], `derived activation ${i} is of ${names[i]}`)
    assert.equal(r.cause, primary.activationId, 'a derived activation\'s cause is the primary one')
    assert.equal(annotation(r, 'causedBy'), 'sequence')
  })
  assert.equal(primary.duration, derived.reduce((sum, r) => sum + r.duration, 0), 'the sum of the derived durations')
  return derived
}

/** Deploys upstream's triple, increment and tripleAndIncrement (the conductor); their names and the conductor as created. */
async function deployTripleAndIncrement (t) {
  const actions = cleanup(t, ow)
  const triple = actions.action(unique('triple'))
  const increment = actions.action(unique('increment'))
  const conductor = actions.action(unique('tripleAndIncrement'))
  await ow.actions.create({ name: triple, action: TRIPLE })
  await ow.actions.create({ name: increment, action: INCREMENT })
  const doc = await ow.actions.create({ name: conductor, action: tripleAndIncrement(triple, increment), annotations: { conductor: true } })
  return { triple, increment, conductor, doc }
}

test('tripleAndIncrement: a conductor runs triple then increment (docs/conductors.md)', { skip: NEEDS_DOCKER }, async t => {
  const { triple, increment, conductor, doc } = await deployTripleAndIncrement(t)
  assert.equal(annotation(doc, 'conductor'), true)
  assert.match(doc.exec.kind, /^nodejs:\d+$/, 'a conductor is an ordinary action')

  const primary = await ow.actions.invoke({ name: conductor, blocking: true, params: { value: 3 } })
  assert.deepEqual(primary.response.result, { value: 10 })
  assert.equal(primary.response.status, 'success')
  const derived = await assertPrimary(primary, conductor, [conductor, triple, conductor, increment, conductor])
  assert.deepEqual(derived.map(r => r.response.result), [
    { action: triple, params: { value: 3 }, state: { $step: 1 } },
    { value: 9 },
    { action: increment, params: { value: 9 }, state: { $step: 2 } },
    { value: 10 },
    { params: { value: 10 } }
  ])
  assert.deepEqual(await ow.actions.invoke({ name: conductor, blocking: true, result: true, params: { value: 5 } }), { value: 16 })
})

test('a non-blocking invoke of a conductor returns the primary activation id', { skip: NEEDS_DOCKER }, async t => {
  const { triple, increment, conductor } = await deployTripleAndIncrement(t)
  const { activationId } = await ow.actions.invoke({ name: conductor, params: { value: 0 } })
  assert.match(activationId, ACTIVATION_ID)
  const primary = await record(activationId)
  assert.equal(primary.activationId, activationId)
  assert.deepEqual(primary.response.result, { value: 1 })
  await assertPrimary(primary, conductor, [conductor, triple, conductor, increment, conductor])
})

// PrimitiveActions.tryInvokeNext: an action that cannot be resolved is not an internal error;
// the conductor runs again with {error: "Failed to resolve action with name '<ns>/<name>'
// during composition."} merged with the state it returned, and decides what to make of it.
test('a conductor naming a missing action gets the resolution error with its state', { skip: NEEDS_DOCKER }, async t => {
  const conductor = cleanup(t, ow).action(unique('conductor'))
  const missing = unique('missing')
  const code = `function main(params) {
    if (params.$step === undefined) return { action: '/_/${missing}', params: { value: 1 }, state: { $step: 1, kept: 'state' } }
    if (params.kept !== 'state' || params.$step !== 1) return { error: 'the state was not merged: ' + JSON.stringify(params) }
    return { error: params.error }
}`
  await ow.actions.create({ name: conductor, action: code, annotations: { conductor: true } })
  const message = `Failed to resolve action with name '${ns}/${missing}' during composition.`
  const err = await rejects(ow.actions.invoke({ name: conductor, blocking: true }), 502, message)
  const primary = err.error
  assert.equal(primary.response.status, 'application error')
  assert.deepEqual(primary.response.result, { error: message })
  const [first, second] = await assertPrimary(primary, conductor, [conductor, conductor])
  assert.deepEqual(first.response.result, { action: `/_/${missing}`, params: { value: 1 }, state: { $step: 1, kept: 'state' } })
  assert.deepEqual(second.response.result, { error: message })
})

// WskConductorTests: the annotation does not change what an action that asks for no further
// action returns, except that `params`, when present, is the result.
test('a conductor that asks for no action ends at once with its result or its params', { skip: NEEDS_DOCKER }, async t => {
  const conductor = cleanup(t, ow).action(unique('conductor'))
  await ow.actions.create({ name: conductor, action: 'function main(params) { return params }', annotations: { conductor: true } })
  const plain = await ow.actions.invoke({ name: conductor, blocking: true, params: { payload: 'p', state: 's' } })
  assert.deepEqual(plain.response.result, { payload: 'p', state: 's' })
  await assertPrimary(plain, conductor, [conductor])
  const unwrapped = await ow.actions.invoke({ name: conductor, blocking: true, params: { params: { payload: 'p' }, result: 'r', state: 's' } })
  assert.deepEqual(unwrapped.response.result, { payload: 'p' })
  await assertPrimary(unwrapped, conductor, [conductor])
  const err = await rejects(ow.actions.invoke({ name: conductor, blocking: true, params: { error: 'conducted' } }), 502, 'conducted')
  assert.equal(err.error.response.status, 'application error')
  assert.deepEqual(err.error.response.result, { error: 'conducted' })
  await assertPrimary(err.error, conductor, [conductor])
})
