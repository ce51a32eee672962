'use strict';
// Gust's Node.js launcher: serves one OpenWhisk Node.js action over the actionloop protocol.
//
// gust-proxy starts this once per action (node launcher.js) with:
//   GUST_ACTION_DIR    the directory holding the action: index.js (plain code), or an extracted
//                      zip (package.json `main` or index.js, with its node_modules)
//   GUST_MAIN          the name of the function to call (default "main")
//   __OW_WAIT_FOR_ACK  set: write {"ok":true} on fd 3 once the action is loaded
// Then each stdin line is one activation, {"value": {...}, "activation_id": ..., ...}; the answer
// is one line of JSON on fd 3. stdout and stderr are the activation's logs.
//
// As a zygote (GUST_ZYGOTE=1: started by the proxy before any /init, so that Node's start-up is
// paid ahead of demand) it first writes {"ready":true} on fd 3, then reads one stdin line,
// {"init": {"dir": ..., "main": ..., "env": {...}}}: it adds `env` to process.env (the variables
// above come that way), moves to `dir`, and goes on as above.

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const vm = require('vm');
const { createRequire } = require('module');

const RESULT_FD = 3;
// Set by start(): from the environment, or from a zygote's init line.
let actionDir = '/action';
let mainName = 'main';

// Loads the action and returns its main function (throws when it cannot).
function load() {
  const packageJson = path.join(actionDir, 'package.json');
  const indexJs = path.join(actionDir, 'index.js');
  if (fs.existsSync(packageJson) || !fs.existsSync(indexJs)) {
    // A zip: a package (package.json `main`) or a module directory (index.js).
    return pick(require(actionDir), 'the module');
  }
  // Plain code, OpenWhisk-style: `function main(params) {...}` works without exports, and so do
  // `module.exports.main = ...` and `exports.main = ...`.
  const code = fs.readFileSync(indexJs, 'utf8');
  const module = { exports: {}, filename: indexJs, id: indexJs, loaded: false };
  const identifier = /^[A-Za-z_$][\w$]*$/.test(mainName);
  const tail = identifier ? `\n;return typeof ${mainName} === 'function' ? ${mainName} : undefined;` : '';
  const body = vm.compileFunction(code + tail, ['require', 'module', 'exports', '__filename', '__dirname'], {
    filename: indexJs,
  });
  const declared = body(createRequire(indexJs), module, module.exports, indexJs, actionDir);
  module.loaded = true;
  if (typeof declared === 'function') return declared;
  return pick(module.exports, 'the code');
}

// An action that loads but has no usable main: reported without a launcher stack trace.
class NoMain extends Error {}

function pick(exported, what) {
  const candidate = exported && exported[mainName];
  if (typeof candidate === 'function') return candidate;
  if (mainName === 'main' && typeof exported === 'function') return exported;
  throw new NoMain(`${what} has no function named '${mainName}' (declare it, or export it)`);
}

// Writes all of `text` to fd 3 (a blocking pipe; retried if the kernel takes part of it).
function writeResultLine(text) {
  const bytes = Buffer.from(text + '\n', 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(RESULT_FD, bytes, offset, bytes.length - offset);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}

// Resolves once everything written to `stream` so far has been handed to the OS.
function flushed(stream) {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

async function answer(result) {
  let text;
  try {
    text = JSON.stringify(result);
  } catch (e) {
    text = JSON.stringify({ error: `The action's result is not JSON serialisable: ${e.message}` });
  }
  await flushed(process.stdout);
  await flushed(process.stderr);
  // Not an object (a string, a number...) goes as it is: the proxy and invoker judge it.
  writeResultLine(text === undefined ? 'null' : text);
}

// `{"error": <message>}` for a thrown error or a rejected promise.
function errorValue(e) {
  if (e instanceof Error) return e.message || e.name || String(e);
  if (e === undefined || e === null) return {};
  return e;
}

// Sets process.env.__OW_<KEY> for every key but `value`; drops the ones a previous activation
// set that this one does not carry.
function exportContext(activation, previous) {
  const names = new Set();
  for (const [key, value] of Object.entries(activation)) {
    if (key === 'value' || value === null || value === undefined) continue;
    const name = `__OW_${key.toUpperCase()}`;
    process.env[name] = typeof value === 'string' ? value : JSON.stringify(value);
    names.add(name);
  }
  for (const stale of previous) if (!names.has(stale)) delete process.env[stale];
  return names;
}

// The zygote's wait: says it is ready, then takes the action's directory, main and environment
// from the first stdin line.
async function awaitInit(lines) {
  await answer({ ready: true });
  const first = await lines.next();
  if (first.done) process.exit(0); // the proxy went away before handing over an action
  try {
    const { init } = JSON.parse(first.value);
    const env = init.env || {};
    if (typeof init.dir !== 'string' || typeof env !== 'object' || Array.isArray(env)) {
      throw new Error('dir must be a string and env an object');
    }
    for (const [name, value] of Object.entries(env)) {
      process.env[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    delete process.env.GUST_ZYGOTE;
    process.chdir(init.dir);
    actionDir = init.dir;
    mainName = init.main || process.env.GUST_MAIN || 'main';
  } catch (e) {
    await answer({ error: `The action failed during initialization: the zygote got an unusable init line: ${e.message}` });
    process.exit(1);
  }
}

async function serve(main, lines) {
  let exported = new Set();
  // Taking the next line only once this activation has been answered.
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const line = next.value;
    if (!line.trim()) continue;
    let activation;
    try {
      activation = JSON.parse(line);
      if (activation === null || typeof activation !== 'object' || Array.isArray(activation)) {
        throw new Error('the activation is not a JSON object');
      }
    } catch (e) {
      await answer({ error: `invalid activation: ${e.message}` });
      continue;
    }
    exported = exportContext(activation, exported);
    let result;
    try {
      result = await main(activation.value === undefined ? {} : activation.value);
      if (result === undefined) result = {};
    } catch (e) {
      if (e instanceof Error) console.error(e);
      result = { error: errorValue(e) };
    }
    await answer(result);
  }
}

async function start() {
  // One line iterator for the whole life of the process (the zygote's init line, then the runs).
  const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  const lines = input[Symbol.asyncIterator]();
  if (process.env.GUST_ZYGOTE === '1') {
    await awaitInit(lines);
  } else {
    actionDir = process.env.GUST_ACTION_DIR || '/action';
    mainName = process.env.GUST_MAIN || 'main';
  }
  let main;
  try {
    main = load();
  } catch (e) {
    console.error(e instanceof NoMain ? e.message : e);
    const cause = e instanceof NoMain ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    await answer({ error: `The action failed during initialization: ${cause}` });
    process.exit(1);
  }
  if (process.env.__OW_WAIT_FOR_ACK) await answer({ ok: true });
  await serve(main, lines);
}

start().catch((e) => {
  console.error('gust launcher:', e);
  process.exit(1);
});
