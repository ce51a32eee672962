// Packages through the npm `openwhisk` library: create, get (with its actions), list, update,
// delete; actions inside packages (`pkg/action`); bindings (`package: {binding: {namespace,
// name}}`) and invoking through them with merged parameters (package < binding < action <
// request); and the errors of each.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { client, wasm, namespaceOf } from '../lib/gust.mjs'
import { annotation, assertErrorBody, assertNewestFirst, cleanup, params, rejects, stable, unique } from '../lib/util.mjs'

const ow = client()
const ns = await namespaceOf()

/** Creates package `name` (registered for cleanup) with the library's `package` body. */
async function createPackage (t, body = {}, extra = {}) {
  const name = cleanup(t, ow).package(unique('pkg'))
  const doc = await ow.packages.create({ name, package: body, ...extra })
  return { name, doc }
}

/** Creates Wasm action `pkg/<action>` from `fixture` (registered for cleanup). */
async function createIn (t, pkg, action, fixture, extra = {}) {
  const name = cleanup(t, ow).action(`${pkg}/${action}`)
  const doc = await ow.actions.create({ name, action: wasm(fixture), kind: 'wasm:wasip1', ...extra })
  return { name, doc }
}

test('create returns the stored package', async t => {
  const { name, doc } = await createPackage(t,
    { parameters: [{ key: 'colour', value: 'green' }] },
    { annotations: { description: 'a test package' } })
  assert.equal(doc.name, name)
  assert.equal(doc.namespace, ns)
  assert.deepEqual(doc.binding, {})
  assert.deepEqual(params(doc), { colour: 'green' })
  assert.equal(annotation(doc, 'description'), 'a test package')
  assert.equal(doc.version, '0.0.1')
  assert.equal(doc.publish, false)
  assert.equal(typeof doc.updated, 'number')
})

test('create with no body makes an empty package; creating it again is 409', async t => {
  const name = cleanup(t, ow).package(unique('pkg'))
  const doc = await ow.packages.create({ name })
  assert.deepEqual(doc.binding, {})
  assert.deepEqual(doc.parameters, [])
  const err = await rejects(ow.packages.create({ name }), 409, 'resource already exists')
  assertErrorBody(err)
})

test('actions live inside a package as pkg/action', async t => {
  const { name: pkg } = await createPackage(t)
  const { name, doc } = await createIn(t, pkg, 'echo', 'echo')
  assert.equal(doc.name, 'echo')
  assert.equal(doc.namespace, `${ns}/${pkg}`)
  const got = await ow.actions.get({ name, code: false })
  assert.equal(got.namespace, `${ns}/${pkg}`)
  assert.equal((await ow.actions.get({ name: `/${ns}/${pkg}/echo`, code: false })).name, 'echo')
  assert.deepEqual(await ow.actions.invoke({ name, blocking: true, result: true, params: { in: 'pkg' } }), { in: 'pkg' })
  const record = await ow.actions.invoke({ name, blocking: true })
  assert.equal(annotation(record, 'path'), `${ns}/${pkg}/echo`)
  assert.equal(record.name, 'echo')
  const listed = await ow.actions.list({ limit: 200 })
  const item = listed.find(a => a.name === 'echo' && a.namespace === `${ns}/${pkg}`)
  assert.ok(item, 'the namespace\'s action list includes packaged actions')
})

test('get shows the package\'s actions', async t => {
  const { name: pkg } = await createPackage(t)
  await createIn(t, pkg, 'one', 'echo', { annotations: { description: 'first' } })
  await createIn(t, pkg, 'two', 'hello')
  const doc = await ow.packages.get({ name: pkg })
  assert.equal(doc.name, pkg)
  assert.deepEqual(doc.binding, {})
  assert.deepEqual(doc.actions.map(a => a.name).sort(), ['one', 'two'])
  const one = doc.actions.find(a => a.name === 'one')
  assert.equal(one.version, '0.0.1')
  assert.equal(annotation(one, 'description'), 'first')
  assert.equal(annotation(one, 'exec'), 'wasm:wasip1')
  assert.deepEqual(doc.feeds, [])
  assert.equal((await ow.packages.get(pkg)).name, pkg, 'get(name) is get({name})')
})

test('list shows package summaries newest first, with skip, limit and count', async t => {
  const names = []
  for (let i = 0; i < 3; i++) names.push((await createPackage(t)).name)
  const [all, page, count] = await stable('the package list', () => Promise.all([
    ow.packages.list({ limit: 200 }),
    ow.packages.list({ skip: 1, limit: 2 }),
    ow.packages.list({ count: true })
  ]))
  const ours = assertNewestFirst(all, 'updated', 'name', names)
  const item = ours[0]
  assert.equal(item.namespace, ns)
  assert.equal(item.binding, false, 'a package that is not a binding lists binding: false')
  assert.equal(item.publish, false)
  assert.equal(item.version, '0.0.1')
  assert.deepEqual(page.map(p => p.name), all.slice(1, 3).map(p => p.name))
  if (all.length < 200) assert.deepEqual(count, { packages: all.length })
  else assert.ok(count.packages >= 200, JSON.stringify(count))
})

test('update replaces parameters and annotations and bumps the version', async t => {
  const { name } = await createPackage(t,
    { parameters: [{ key: 'a', value: 1 }, { key: 'b', value: 2 }] },
    { annotations: { description: 'old' } })
  const doc = await ow.packages.update({
    name,
    package: { parameters: [{ key: 'colour', value: 'green' }, { key: 'name', value: 'Freya' }] },
    annotations: { description: 'new' }
  })
  assert.equal(doc.version, '0.0.2')
  assert.deepEqual(params(doc), { colour: 'green', name: 'Freya' })
  assert.equal(annotation(doc, 'description'), 'new')
  const published = await ow.packages.update({ name, package: { publish: true } })
  assert.equal(published.publish, true)
  assert.equal(published.version, '0.0.3')
  assert.deepEqual(params(published), { colour: 'green', name: 'Freya' }, 'parameters kept when not given')
})

test('delete: a package with actions is 409; empty, it is deleted; then 404', async t => {
  const { name: pkg } = await createPackage(t)
  const { name: action } = await createIn(t, pkg, 'inside', 'echo')
  await rejects(ow.packages.delete({ name: pkg }), 409,
    'Package not empty (contains 1 entity). Set force param or delete package contents.')
  await ow.actions.delete({ name: action })
  const deleted = await ow.packages.delete({ name: pkg })
  assert.equal(deleted.name, pkg)
  await rejects(ow.packages.get({ name: pkg }), 404, 'The requested resource does not exist.')
  await rejects(ow.packages.delete(pkg), 404, 'The requested resource does not exist.')
})

test('an action cannot be created in a package that does not exist', async () => {
  const name = `${unique('nopkg')}/echo`
  await rejects(ow.actions.create({ name, action: wasm('echo'), kind: 'wasm:wasip1' }), 404)
})

test('the package name "default" is reserved', async () => {
  await rejects(ow.packages.create({ name: 'default' }), 400, "Package name 'default' is reserved.")
})

test('a package and an action cannot share a name', async t => {
  const name = cleanup(t, ow).action(unique('clash'))
  await ow.actions.create({ name, action: wasm('echo'), kind: 'wasm:wasip1' })
  await rejects(ow.packages.create({ name }), 409, 'Resource by this name exists but is not in this collection.')
  await rejects(ow.packages.get({ name }), 409, 'Resource by this name exists but is not in this collection.')
})

test('a binding: create, get, list, invoke with merged parameters', async t => {
  const { name: pkg } = await createPackage(t, {
    parameters: [{ key: 'a', value: 'package' }, { key: 'b', value: 'package' }, { key: 'c', value: 'package' }, { key: 'd', value: 'package' }]
  })
  await createIn(t, pkg, 'echo', 'echo', { params: { c: 'action', d: 'action' } })
  const binding = cleanup(t, ow).package(unique('bind'))
  const doc = await ow.packages.create({
    name: binding,
    package: {
      binding: { namespace: '_', name: pkg },
      parameters: [{ key: 'b', value: 'binding' }, { key: 'c', value: 'binding' }, { key: 'd', value: 'binding' }]
    }
  })
  assert.equal(doc.name, binding)
  assert.deepEqual(doc.binding, { namespace: ns, name: pkg }, '`_` resolved to the namespace')
  assert.deepEqual(annotation(doc, 'binding'), { namespace: ns, name: pkg })

  const got = await ow.packages.get({ name: binding })
  assert.deepEqual(got.binding, { namespace: ns, name: pkg })
  assert.deepEqual(params(got), { a: 'package', b: 'binding', c: 'binding', d: 'binding' },
    'a binding shows the package\'s parameters overridden by its own')
  assert.deepEqual(got.actions.map(a => a.name), ['echo'])

  const listed = await ow.packages.list({ limit: 200 })
  const item = listed.find(p => p.name === binding)
  assert.deepEqual(item.binding, { namespace: ns, name: pkg })

  const result = await ow.actions.invoke({ name: `${binding}/echo`, blocking: true, result: true, params: { d: 'request' } })
  assert.deepEqual(result, { a: 'package', b: 'binding', c: 'action', d: 'request' })

  const record = await ow.actions.invoke({ name: `${binding}/echo`, blocking: true })
  assert.equal(annotation(record, 'path'), `${ns}/${pkg}/echo`, 'the path is the real package')
  assert.equal(annotation(record, 'binding'), `${ns}/${binding}`)
  const code = await ow.actions.get({ name: `${binding}/echo`, code: false })
  assert.equal(code.name, 'echo')
})

test('a binding to a package with the library\'s README form (update with binding)', async t => {
  const { name: pkg } = await createPackage(t)
  await createIn(t, pkg, 'hello', 'hello')
  const binding = cleanup(t, ow).package(unique('bind'))
  const doc = await ow.packages.update({ name: binding, package: { binding: { namespace: ns, name: pkg } } })
  assert.deepEqual(doc.binding, { namespace: ns, name: pkg })
  assert.deepEqual(await ow.actions.invoke({ name: `${binding}/hello`, blocking: true, result: true, params: { name: 'Bound' } }),
    { greeting: 'Hello, Bound!' })
})

test('binding errors: a missing package, a binding of a binding, writes through a binding', async t => {
  await rejects(ow.packages.create({ name: unique('bind'), package: { binding: { namespace: ns, name: unique('absent') } } }),
    400, 'Binding references a package that does not exist.')
  const { name: pkg } = await createPackage(t)
  const binding = cleanup(t, ow).package(unique('bind'))
  await ow.packages.create({ name: binding, package: { binding: { namespace: ns, name: pkg } } })
  await rejects(ow.packages.create({ name: unique('bind'), package: { binding: { namespace: ns, name: binding } } }),
    400, 'Cannot bind to another package binding.')
  await rejects(ow.actions.create({ name: `${binding}/echo`, action: wasm('echo'), kind: 'wasm:wasip1' }),
    400, 'Operation not permitted on package binding.')
  await rejects(ow.packages.update({ name: pkg, package: { binding: { namespace: ns, name: binding } } }),
    409, 'Resource is a package and cannot be converted into a binding.')
})

test('a binding can be deleted while its package has actions', async t => {
  const { name: pkg } = await createPackage(t)
  await createIn(t, pkg, 'echo', 'echo')
  const binding = cleanup(t, ow).package(unique('bind'))
  await ow.packages.create({ name: binding, package: { binding: { namespace: ns, name: pkg } } })
  const deleted = await ow.packages.delete({ name: binding })
  assert.equal(deleted.name, binding)
  assert.equal((await ow.packages.get({ name: pkg })).actions.length, 1, 'the package is untouched')
})
