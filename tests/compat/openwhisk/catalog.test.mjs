// The system catalog, as OpenWhisk deployments ship it: the public package /whisk.system/utils
// and its actions, through the npm `openwhisk` library.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { client } from '../lib/gust.mjs'
import { annotation, cleanup, unique } from '../lib/util.mjs'

const ow = client()

test('/whisk.system/utils/echo returns its parameters', async () => {
  const params = { text: 'catalog', n: 1, nested: { ok: true } }
  const result = await ow.actions.invoke({ name: '/whisk.system/utils/echo', blocking: true, result: true, params })
  assert.deepEqual(result, params)
})

test('/whisk.system/utils/sort sorts lines and counts them', async () => {
  const result = await ow.actions.invoke({
    name: '/whisk.system/utils/sort',
    blocking: true,
    result: true,
    params: { lines: ['pear', 'Apple', 'banana', '10', '9'] }
  })
  assert.deepEqual(result, { lines: ['10', '9', 'Apple', 'banana', 'pear'], length: 5 })
})

test('/whisk.system/utils is a public package listing its actions', async () => {
  const doc = await ow.packages.get({ name: '/whisk.system/utils' })
  assert.equal(doc.namespace, 'whisk.system')
  assert.equal(doc.name, 'utils')
  assert.equal(doc.publish, true)
  const names = doc.actions.map(a => a.name)
  for (const name of ['cat', 'date', 'echo', 'head', 'hosturl', 'namespace', 'smash', 'sort', 'split']) {
    assert.ok(names.includes(name), `utils has ${name}: ${names}`)
  }
  assert.equal(typeof annotation(doc, 'description'), 'string')
  const listed = await ow.packages.list({ namespace: 'whisk.system', limit: 200 })
  assert.ok(listed.some(p => p.name === 'utils'), 'listed among whisk.system\'s public packages')
})

test('a binding of /whisk.system/utils invokes the catalog\'s actions with its parameters', async t => {
  const binding = cleanup(t, ow).package(unique('utils'))
  await ow.packages.create({
    name: binding,
    package: { binding: { namespace: 'whisk.system', name: 'utils' }, parameters: [{ key: 'payload', value: 'a\nb' }] }
  })
  assert.deepEqual(await ow.actions.invoke({ name: `${binding}/split`, blocking: true, result: true }),
    { lines: ['a', 'b'], payload: 'a\nb' })
})
