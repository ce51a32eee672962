// The everyday flows of aio/flows.mjs, run with the aio CLI (@adobe/aio-cli and its runtime
// plugin) against the server in GUST_APIHOST, one test per flow.

import { test } from 'node:test'
import { existsSync } from 'node:fs'
import { APIHOST, AUTH, NEEDS_DOCKER, namespaceOf, wasmPath } from './lib/gust.mjs'
import { AIO, runFlow } from './aio/run.mjs'
import { flows } from './aio/flows.mjs'

if (!existsSync(AIO)) throw new Error(`${AIO} is missing: run npm ci --prefix tests/compat`)

const target = {
  apihost: APIHOST,
  auth: AUTH,
  namespace: await namespaceOf(),
  fixtures: { echo: wasmPath('echo'), hello: wasmPath('hello') }
}

for (const flow of flows) {
  const skip = flow.needs === 'docker' ? NEEDS_DOCKER : undefined
  test(flow.name, { skip }, async t => {
    await runFlow(flow, target, line => t.diagnostic(line))
  })
}
