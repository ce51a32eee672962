// Namespaces through the npm `openwhisk` library: list (the key's one namespace) and get
// (which the library builds from the four collections of `_`).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { client, wasm } from '../lib/gust.mjs'
import { cleanup, rejects, unique } from '../lib/util.mjs'

const ow = client()

test('list returns the one namespace of the key', async () => {
  const list = await ow.namespaces.list()
  assert.ok(Array.isArray(list))
  assert.equal(list.length, 1)
  assert.equal(typeof list[0], 'string')
  assert.match(list[0], /^[\w@.&-][\w@ .&-]*$/)
})

test('get lists the actions, packages, triggers and rules of the namespace', async t => {
  const name = cleanup(t, ow).action(unique('nsget'))
  await ow.actions.create({ name, action: wasm('echo'), kind: 'wasm:wasip1' })
  const got = await ow.namespaces.get()
  assert.deepEqual(Object.keys(got).sort(), ['actions', 'packages', 'rules', 'triggers'])
  for (const key of Object.keys(got)) assert.ok(Array.isArray(got[key]), `${key} is an array`)
  // The collections are lists with the default limit (30): the new action is the newest.
  assert.ok(got.actions.some(a => a.name === name), 'the new action is listed')
})

test('a namespace of someone else is 403 for collections', async () => {
  const other = unique('nobody')
  await rejects(ow.actions.list({ namespace: other }), 403,
    `The supplied authentication is not authorized to access '${other}'.`)
  await rejects(ow.activations.list({ namespace: other }), 403)
})
