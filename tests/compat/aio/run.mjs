// Runs the flows of flows.mjs with the aio CLI (`node_modules/.bin/aio runtime ...`), as a
// separate process per step, configured only through environment variables, in a scratch
// HOME and working directory so that no user configuration (~/.config/aio, ~/.wskprops,
// ./.aio, ./.env) takes part.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { unique } from '../lib/util.mjs'

/** The aio binary of this suite's node_modules. */
export const AIO = fileURLToPath(new URL('../node_modules/.bin/aio', import.meta.url))

/** One step may take this long (aio loads all its plugins on every start). */
const STEP_TIMEOUT_MS = 120000
/** A step with `until` is repeated for at most this long. */
const UNTIL_MS = 60000

/**
 * The environment of every aio process: the caller's, without anything that configures aio or
 * OpenWhisk clients, plus the server under test.
 *
 * - AIO_RUNTIME_APIHOST / AIO_RUNTIME_AUTH / AIO_RUNTIME_NAMESPACE: aio's config keys
 *   runtime.apihost / runtime.auth / runtime.namespace, read from the environment.
 * - USE_RUNTIME_AUTH=true: without it, `action create/update/delete` talk to Adobe's deploy
 *   service with an Adobe login instead of to the API host with the key.
 * - AIO_DEPLOY_SERVICE_URL: a closed loopback port, so that nothing can reach Adobe anyway.
 * - AIO_TELEMETRY_DISABLED, AIO_SKIP_NEW_VERSION_CHECK: no telemetry, no update check
 *   (both would send traffic off this machine).
 */
export function aioEnv ({ apihost, auth, namespace, home }) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(AIO_|WHISK_|__OW_|WSK_|XDG_)/.test(k)) env[k] = v
  }
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    AIO_CONFIG_FILE: join(home, 'aio-config.json'),
    WSK_CONFIG_FILE: join(home, 'wskprops'),
    AIO_RUNTIME_APIHOST: apihost,
    AIO_RUNTIME_AUTH: auth,
    AIO_RUNTIME_NAMESPACE: namespace,
    USE_RUNTIME_AUTH: 'true',
    AIO_DEPLOY_SERVICE_URL: 'http://127.0.0.1:9',
    AIO_TELEMETRY_DISABLED: 'true',
    AIO_SKIP_NEW_VERSION_CHECK: 'true',
    NO_PROXY: '127.0.0.1,localhost,::1',
    no_proxy: '127.0.0.1,localhost,::1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    COLUMNS: '250',
    OCLIF_COLUMNS: '250'
  }
}

/** Runs `aio runtime <args>`; resolves to {code, stdout, stderr}. */
export function aio (args, { env, cwd }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AIO, 'runtime', ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', d => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', d => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS)
    child.on('error', err => { clearTimeout(timer); reject(err) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: signal ? `killed by ${signal} after ${STEP_TIMEOUT_MS} ms` : code, stdout, stderr })
    })
  })
}

const escape = s => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Replaces `${name}` placeholders in a string (escaped for a regex when `regex` is true). */
function fill (text, vars, regex = false) {
  return text.replace(/\$\{([\w.]+)\}/g, (whole, key) => {
    if (!(key in vars)) throw new Error(`unknown placeholder ${whole} in "${text}"`)
    const value = String(vars[key])
    return regex ? escape(value) : value
  })
}

/** Fills placeholders everywhere in a JSON-like value. */
function fillDeep (value, vars) {
  if (typeof value === 'string') return fill(value, vars)
  if (Array.isArray(value)) return value.map(v => fillDeep(v, vars))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillDeep(v, vars)]))
  }
  return value
}

/** The value at a dotted path ('' is the whole value). */
function at (value, path) {
  if (path === '') return value
  return path.split('.').reduce((v, key) => (v === undefined || v === null ? undefined : v[key]), value)
}

/** The JSON a command printed: from the first `{` or `[` of stdout to its end. */
function printedJson (stdout) {
  const start = stdout.search(/[[{]/)
  assert.ok(start >= 0, 'the command printed JSON')
  return JSON.parse(stdout.slice(start))
}

/** Does `item` have every field of `fields` (dotted paths), deep-equal? */
function has (item, fields) {
  return Object.entries(fields).every(([path, v]) => {
    try {
      assert.deepEqual(at(item, path), v)
      return true
    } catch {
      return false
    }
  })
}

/** An error message as one line: oclif wraps it at the terminal width behind `›` marks. */
function oneLine (text) {
  return text.split('\n').map(l => l.replace(/^\s*›?\s*/, '')).filter(Boolean).join(' ')
}

/** Checks one step's outcome against its expectations (throws an AssertionError if not). */
function check (expect, out, vars) {
  const wantExit = expect.exit ?? 0
  if (wantExit === 'nonzero') assert.ok(out.code !== 0, `a failure expected, exit ${out.code}`)
  else assert.equal(out.code, wantExit, `exit status ${wantExit} expected`)
  for (const re of expect.stdout || []) assert.match(out.stdout, new RegExp(fill(re, vars, true), 'm'), 'stdout')
  for (const re of expect.stderr || []) assert.match(oneLine(out.stderr), new RegExp(fill(re, vars, true)), 'stderr')
  const needsJson = expect.json || expect.match || expect.contains || expect.lacks || expect.arrays
  if (!needsJson) return
  const doc = printedJson(out.stdout)
  for (const [path, v] of Object.entries(expect.json || {})) {
    assert.deepEqual(at(doc, path), fillDeep(v, vars), `JSON at '${path}'`)
  }
  for (const [path, re] of Object.entries(expect.match || {})) {
    assert.match(String(at(doc, path)), new RegExp(fill(re, vars, true)), `JSON at '${path}'`)
  }
  for (const [path, fields] of Object.entries(expect.contains || {})) {
    const list = at(doc, path)
    assert.ok(Array.isArray(list), `an array at '${path}'`)
    assert.ok(list.some(item => has(item, fillDeep(fields, vars))), `an element of '${path}' with ${JSON.stringify(fillDeep(fields, vars))}`)
  }
  for (const [path, fields] of Object.entries(expect.lacks || {})) {
    const list = at(doc, path)
    assert.ok(Array.isArray(list), `an array at '${path}'`)
    assert.ok(!list.some(item => has(item, fillDeep(fields, vars))), `no element of '${path}' with ${JSON.stringify(fillDeep(fields, vars))}`)
  }
  for (const path of expect.arrays || []) assert.ok(Array.isArray(at(doc, path)), `an array at '${path}'`)
}

/**
 * Runs `flow` step by step against the server in `target` ({apihost, auth, namespace,
 * fixtures: {echo, hello}}); `log` receives a transcript line per step.
 */
export async function runFlow (flow, target, log = () => {}) {
  const home = mkdtempSync(join(tmpdir(), 'gust-compat-aio-'))
  try {
    const dir = join(home, 'files')
    const cwd = join(home, 'work')
    mkdirSync(dir)
    mkdirSync(cwd)
    for (const [file, content] of Object.entries(flow.files || {})) writeFileSync(join(dir, file), content)
    const vars = { ns: target.namespace, dir, ...target.fixtures }
    for (const n of flow.names || []) vars[n] = unique(`aio-${n}`)
    const env = aioEnv({ ...target, home })
    for (const [i, step] of flow.steps.entries()) {
      const args = step.run.map(a => fill(a, vars))
      const deadline = Date.now() + UNTIL_MS
      for (let attempt = 1; ; attempt++) {
        const started = Date.now()
        const out = await aio(args, { env, cwd })
        log(`step ${i + 1}: aio runtime ${args.join(' ')} -> exit ${out.code} in ${Date.now() - started} ms`)
        try {
          check(step.expect || {}, out, vars)
          for (const [name, path] of Object.entries(step.capture || {})) {
            vars[name] = at(printedJson(out.stdout), path)
            assert.ok(vars[name] !== undefined, `a value at '${path}' to capture as ${name}`)
          }
          break
        } catch (err) {
          if (step.until && Date.now() < deadline && err instanceof assert.AssertionError) {
            await sleep(250)
            continue
          }
          throw new Error(`step ${i + 1} of "${flow.name}" (attempt ${attempt}): aio runtime ${args.join(' ')}\n` +
            `${err.message}\n--- exit: ${out.code}\n--- stdout:\n${out.stdout}\n--- stderr:\n${out.stderr}`, { cause: err })
        }
      }
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}
