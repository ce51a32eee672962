// Public (shared) packages seen from a second namespace, through the npm `openwhisk` library:
// a package created with `publish: true` is readable, listable and invokable by another
// namespace's key and can be bound there; a private one is not (403). Needs GUST_AUTH2.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AUTH2, NEEDS_AUTH2, client, wasm, namespaceOf } from '../lib/gust.mjs'
import { annotation, cleanup, params, rejects, unique } from '../lib/util.mjs'

const ow = client()
const ns = await namespaceOf()
const other = AUTH2 ? client(AUTH2) : undefined
const ns2 = AUTH2 ? await namespaceOf(AUTH2) : undefined

if (NEEDS_AUTH2) console.log(`# skipped: cross-namespace tests (${NEEDS_AUTH2})`)

/** Creates package `name` in the first namespace with an echo action inside. */
async function sharedPackage (t, publish) {
  const own = cleanup(t, ow)
  const pkg = own.package(unique(publish ? 'public' : 'private'))
  await ow.packages.create({ name: pkg, package: { publish, parameters: [{ key: 'from', value: 'package' }] } })
  own.action(`${pkg}/echo`)
  await ow.actions.create({ name: `${pkg}/echo`, action: wasm('echo'), kind: 'wasm:wasip1' })
  return pkg
}

test('the second key owns another namespace', { skip: NEEDS_AUTH2 }, () => {
  assert.notEqual(ns2, ns)
})

test('a public package is readable, listable and invokable from another namespace', { skip: NEEDS_AUTH2 }, async t => {
  const pkg = await sharedPackage(t, true)
  const doc = await other.packages.get({ name: `/${ns}/${pkg}` })
  assert.equal(doc.name, pkg)
  assert.equal(doc.namespace, ns)
  assert.equal(doc.publish, true)
  assert.deepEqual(doc.actions.map(a => a.name), ['echo'])

  const listed = await other.packages.list({ namespace: ns, limit: 200 })
  assert.ok(listed.some(p => p.name === pkg), 'listed among the public packages of the namespace')

  const action = await other.actions.get({ name: `/${ns}/${pkg}/echo`, code: false })
  assert.equal(action.name, 'echo')

  const result = await other.actions.invoke({ name: `/${ns}/${pkg}/echo`, blocking: true, result: true, params: { by: 'other' } })
  assert.deepEqual(result, { from: 'package', by: 'other' })

  const record = await other.actions.invoke({ name: `/${ns}/${pkg}/echo`, blocking: true })
  assert.equal(record.namespace, ns2, 'the activation belongs to the caller')
  assert.equal(annotation(record, 'path'), `${ns}/${pkg}/echo`)
  assert.equal((await other.activations.get(record.activationId)).activationId, record.activationId)
  await rejects(ow.activations.get(record.activationId), 404)
})

test('another namespace can bind a public package and invoke through the binding', { skip: NEEDS_AUTH2 }, async t => {
  const pkg = await sharedPackage(t, true)
  const binding = cleanup(t, other).package(unique('bind'))
  const doc = await other.packages.create({
    name: binding,
    package: { binding: { namespace: ns, name: pkg }, parameters: [{ key: 'from', value: 'binding' }] }
  })
  assert.equal(doc.namespace, ns2)
  assert.deepEqual(doc.binding, { namespace: ns, name: pkg })
  const got = await other.packages.get({ name: binding })
  assert.deepEqual(params(got), { from: 'binding' })
  const result = await other.actions.invoke({ name: `${binding}/echo`, blocking: true, result: true })
  assert.deepEqual(result, { from: 'binding' })
})

test('a private package is 403 from another namespace and not listed there', { skip: NEEDS_AUTH2 }, async t => {
  const pkg = await sharedPackage(t, false)
  const denied = `The supplied authentication is not authorized to access '${ns}/${pkg}'.`
  await rejects(other.packages.get({ name: `/${ns}/${pkg}` }), 403, denied)
  await rejects(other.actions.invoke({ name: `/${ns}/${pkg}/echo`, blocking: true }), 403)
  await rejects(other.actions.get({ name: `/${ns}/${pkg}/echo` }), 403)
  await rejects(other.packages.create({ name: unique('bind'), package: { binding: { namespace: ns, name: pkg } } }), 403)
  const listed = await other.packages.list({ namespace: ns, limit: 200 })
  assert.ok(!listed.some(p => p.name === pkg), 'a private package is not listed to others')
})

test('writes into another namespace are 403, even into its public packages', { skip: NEEDS_AUTH2 }, async t => {
  const pkg = await sharedPackage(t, true)
  await rejects(other.actions.create({ name: `/${ns}/${pkg}/mine`, action: wasm('echo'), kind: 'wasm:wasip1' }), 403)
  await rejects(other.actions.delete({ name: `/${ns}/${pkg}/echo` }), 403)
  await rejects(other.packages.delete({ name: `/${ns}/${pkg}` }), 403)
  await rejects(other.packages.update({ name: `/${ns}/${pkg}`, package: { publish: false } }), 403)
})
