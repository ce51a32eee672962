// Compositions of the npm `openwhisk-composer` library (Apache OpenWhisk Composer), deployed
// with its own client (`compositions.deploy`: the composed actions defined inline, then the
// conductor action it generates, kind nodejs:default with the conductor annotation, all
// through the OpenWhisk REST API) and invoked blocking through the npm `openwhisk` library:
// sequence, if, while, try, retry, let with mask, and a composition that throws. Conductor
// and composed actions are JavaScript, so this needs container actions: GUST_DOCKER=1.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import composer from 'openwhisk-composer'
import composerClient from 'openwhisk-composer/client.js'
import { APIHOST, AUTH, NEEDS_DOCKER, client, namespaceOf } from '../lib/gust.mjs'
import { annotation, cleanup, eventually, notYet, rejects, unique } from '../lib/util.mjs'

const ow = client()
const ns = await namespaceOf()

if (NEEDS_DOCKER) console.log(`# skipped: openwhisk-composer tests (${NEEDS_DOCKER})`)

/**
 * Composer's client, configured only by these options: it would otherwise take its defaults
 * from ~/.wskprops (or WSK_CONFIG_FILE) and the __OW_* variables; `basic` (the second
 * argument) keeps it from switching to a bearer token when that file names a namespace.
 */
const wsk = composerClient({ apihost: APIHOST, api_key: AUTH, namespace: '_', apiversion: 'v1', ignore_certs: false }, true)

/**
 * Compiles `composition` and deploys it as `name` (default: a new unique name) with composer's
 * client, registering every action it creates for deletion; returns the name.
 */
async function deploy (t, composition, name = unique('composition')) {
  const compiled = composition.compile()
  compiled.name = `/_/${name}` // what composer's `deploy` command does with its NAME argument
  const actions = cleanup(t, ow)
  const names = [...(compiled.actions || []).map(a => a.name), compiled.name]
  for (const n of names) actions.action(n)
  const deployed = await wsk.compositions.deploy(compiled, false)
  assert.deepEqual(deployed.map(a => a.name), names, 'the composed actions, then the conductor')
  return name
}

/** A composed action defined inline: a new unique name for `tag`, with code `fn`. */
function action (tag, fn) {
  return composer.action(unique(tag), { action: fn })
}

/** The name of a composed action (`/_/name` in the composition) as records name it. */
function short (composed) {
  return composed.name.split('/').pop()
}

/** The full record of activation `id`, once it is stored (records are written asynchronously). */
async function record (id) {
  return eventually(`the record of ${id}`, () => ow.activations.get(id).catch(err => {
    if (err.statusCode === 404) throw notYet('404')
    throw err
  }), { within: 60000 })
}

/** The names of the activations a composition's primary record lists, each caused by it. */
async function trace (primary) {
  const names = []
  for (const id of primary.logs) {
    const r = await record(id)
    assert.equal(r.cause, primary.activationId, 'caused by the composition\'s primary activation')
    names.push(r.name)
  }
  return names
}

test('composer.sequence: deployed as a conductor action, run as a primary record and its trace', { skip: NEEDS_DOCKER }, async t => {
  const triple = action('triple', ({ value }) => ({ value: value * 3 }))
  const increment = action('increment', ({ value }) => ({ value: value + 1 }))
  const name = await deploy(t, composer.sequence(triple, increment))
  const doc = await ow.actions.get({ name })
  assert.match(doc.exec.kind, /^nodejs:\d+$/, 'the conductor is a nodejs:default action')
  assert.equal(typeof annotation(doc, 'conductor'), 'object', 'composer annotates the conductor with the composition')
  assert.equal(annotation(doc, 'composerVersion'), composer.util.version)
  const component = await ow.actions.get({ name: short(triple) })
  assert.equal(annotation(component, 'conductor'), undefined, 'a composed action is an ordinary action')

  const primary = await ow.actions.invoke({ name, blocking: true, params: { value: 3 } })
  assert.deepEqual(primary.response.result, { value: 10 })
  assert.equal(annotation(primary, 'conductor'), true)
  assert.equal(annotation(primary, 'kind'), 'sequence')
  assert.equal(annotation(primary, 'path'), `${ns}/${name}`)
  assert.deepEqual(await trace(primary), [name, short(triple), name, short(increment), name])
})

test('composer.if runs the consequent or the alternate on the input', { skip: NEEDS_DOCKER }, async t => {
  const name = await deploy(t, composer.if(
    action('isEven', ({ n }) => ({ value: n % 2 === 0 })),
    action('half', ({ n }) => ({ n: n / 2 })),
    action('tripleAndIncrement', ({ n }) => ({ n: 3 * n + 1 }))))
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: { n: 6 } }), { n: 3 })
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: { n: 3 } }), { n: 10 })
})

test('composer.while repeats the body while the condition holds', { skip: NEEDS_DOCKER }, async t => {
  const positive = action('positive', ({ n }) => ({ value: n > 0 }))
  const step = action('step', ({ n, total }) => ({ n: n - 1, total: total + n }))
  const name = await deploy(t, composer.while(positive, step))
  const primary = await ow.actions.invoke({ name, blocking: true, params: { n: 4, total: 0 } })
  assert.deepEqual(primary.response.result, { n: 0, total: 10 })
  const names = await trace(primary)
  assert.equal(names.filter(n => n === short(positive)).length, 5, 'the condition, five times')
  assert.equal(names.filter(n => n === short(step)).length, 4, 'the body, four times')
})

test('composer.try runs the handler on an error, and not without one', { skip: NEEDS_DOCKER }, async t => {
  const name = await deploy(t, composer.try(
    action('maybeFail', ({ fail }) => fail ? { error: `failed: ${fail}` } : { fine: true }),
    action('handler', ({ error }) => ({ handled: error }))))
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: { fail: 'on purpose' } }), { handled: 'failed: on purpose' })
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: {} }), { fine: true })
})

test('composer.retry runs a failing body again, up to its count', { skip: NEEDS_DOCKER }, async t => {
  // the function numbers the attempts in a variable of the enclosing let (retry masks its
  // own); the action fails the first two
  /* global attempts */
  const attempt = () => ({ attempt: ++attempts })
  const flaky = action('flaky', ({ attempt }) => attempt < 3 ? { error: `attempt ${attempt} failed` } : { attempt })
  const enough = await deploy(t, composer.let({ attempts: 0 }, composer.retry(2, attempt, flaky)))
  assert.deepEqual(await ow.actions.invoke({ name: enough, blocking: true, result: true }), { attempt: 3 })
  // the same action by name (deployed above), one retry only
  const tooFew = await deploy(t, composer.let({ attempts: 0 }, composer.retry(1, attempt, composer.action(flaky.name))))
  const err = await rejects(ow.actions.invoke({ name: tooFew, blocking: true }), 502, 'attempt 2 failed')
  assert.equal(err.error.response.status, 'application error')
  assert.deepEqual(err.error.response.result, { error: 'attempt 2 failed' })
})

test('composer.let with composer.mask: variables, hidden from a nested template (COMBINATORS.md)', { skip: NEEDS_DOCKER }, async t => {
  /* global n */
  const loop = (count, body) => composer.let({ n: count }, composer.while(() => n-- > 0, composer.mask(body)))
  const double = action('double', ({ value }) => ({ value: value * 2 }))
  const name = await deploy(t, composer.sequence(composer.let({ n: 0 }, loop(3, loop(4, () => ++n))), double))
  const primary = await ow.actions.invoke({ name, blocking: true })
  assert.deepEqual(primary.response.result, { value: 24 }, 'the masked n counted 3 x 4 iterations, then doubled')
  assert.deepEqual(await trace(primary), [name, short(double), name], 'functions run inside the conductor')
})

test('a composition that throws fails with the error, and stops there', { skip: NEEDS_DOCKER }, async t => {
  const first = action('first', params => params)
  const never = action('never', params => params)
  const name = await deploy(t, composer.sequence(first, () => { throw new Error('thrown on purpose') }, never))
  const message = 'Function combinator threw an exception at AST node root[1] (see log for details)'
  const err = await rejects(ow.actions.invoke({ name, blocking: true, params: { a: 1 } }), 502, message)
  const primary = err.error
  assert.equal(primary.response.status, 'application error')
  assert.deepEqual(primary.response.result, { error: message })
  assert.deepEqual(await trace(primary), [name, short(first), name], 'never is not run')
  const { logs } = await ow.activations.logs(primary.logs[2])
  assert.ok(logs.some(l => l.includes('Error: thrown on purpose')), `the conductor logs the exception: ${JSON.stringify(logs)}`)
})
