'use strict';
// Gust's Node.js launcher: serves one OpenWhisk Node.js action over the actionloop protocol.
//
// gust-proxy starts this once per action (node launcher.js) with:
//   GUST_ACTION_DIR    the directory holding the action: index.js (plain code), or an extracted
//                      zip (package.json `main` or index.js, with its node_modules)
//   GUST_MAIN          the name of the function to call (default "main")
//   __OW_WAIT_FOR_ACK  set: write {"ok":true} on fd 3 once the action is loaded
// Then each stdin line is one activation, {"value": {...}, "activation_id": ..., ...}; the answer
// is one line on fd 3: the result as JSON, or, when main throws, `!{"error": <message>}` (the
// run failed: the proxy answers /run with 502). stdout and stderr are the activation's logs.
//
// Errors, as in OpenWhisk's Node.js runtime (openwhisk-runtime-nodejs, core/nodejsActionBase):
//   - main throws (synchronously): the error is logged and the run fails with
//     "An error has occurred: <the thrown value as a string>", which the invoker makes an action
//     developer error (and the container is not reused);
//   - main's promise rejects (an async main that throws, too): the result is {"error": <the
//     reason, serialised as serialize-error does>}, an application error; a falsy reason
//     (reject(), undefined, null, 0, "") gives {"error": {}}.
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

// Says the run failed (the proxy answers /run with 502 and {"error": message}): `!` and the JSON
// object, a line no result can be mistaken for (no JSON text starts with `!`).
async function answerFailure(message) {
  await flushed(process.stdout);
  await flushed(process.stderr);
  writeResultLine('!' + JSON.stringify({ error: message }));
}

// The message of a run whose main threw `e`: OpenWhisk's "An error has occurred: " and `e` as a
// template literal shows it ("Error: thrown" for `new Error("thrown")`, "[object Object]" for a
// plain object). A value that cannot become a string (a symbol, an object without a prototype)
// makes OpenWhisk's own handler fail, which answers "Internal error.".
function thrownMessage(e) {
  try {
    return `An error has occurred: ${e}`;
  } catch {
    return 'Internal error.';
  }
}

// The `error` of a run whose promise rejected with `reason`: {} for a falsy reason, else the
// reason serialised. Should serialising throw, OpenWhisk answers that exception's message.
function rejectionError(reason) {
  if (!reason) return {};
  try {
    return serializeReason(reason);
  } catch (e) {
    return e?.message;
  }
}

// A rejection reason as OpenWhisk's runtime serialises it: with serializeError of the npm module
// serialize-error 9.1.0 (the version its Node.js 18 image pins), whose rules are these. An object
// (an Error or anything else) becomes a plain copy (plainCopy); a function becomes
// "[Function: <its name, or anonymous>]"; anything else (a string, a number...) stays as it is.
function serializeReason(reason) {
  if (typeof reason === 'object' && reason !== null) return plainCopy(reason, []);
  if (typeof reason === 'function') return `[Function: ${reason.name || 'anonymous'}]`;
  return reason;
}

// The plain copy of `from` (nested in `ancestors`), by serialize-error 9.1.0's rules:
//   - an object with a toJSON method is what that method returns, as it is;
//   - otherwise an array or an object holding, in order, the own enumerable properties: a Buffer
//     becomes "[object Buffer]", an object with a `pipe` method (a stream) "[object Stream]",
//     an object that is one of its own ancestors "[Circular]", any other object its plain copy;
//     a function is left out; any other value is kept. A property holding null throws a
//     TypeError, as there (the stream test reads `.pipe` of it before the null test);
//   - then `name`, `message`, `stack` and `code`, those that are strings, own or inherited (an
//     Error's `name` is its prototype's).
function plainCopy(from, ancestors) {
  const lineage = [...ancestors, from];
  if (typeof from.toJSON === 'function') return from.toJSON();
  const to = Array.isArray(from) ? [] : {};
  for (const [key, value] of Object.entries(from)) {
    if (Buffer.isBuffer(value)) {
      to[key] = '[object Buffer]';
    } else if (typeof value === 'object' && typeof value.pipe === 'function') {
      to[key] = '[object Stream]';
    } else if (typeof value === 'function') {
      continue;
    } else if (typeof value !== 'object') {
      to[key] = value;
    } else {
      to[key] = lineage.includes(value) ? '[Circular]' : plainCopy(value, lineage);
    }
  }
  for (const name of ['name', 'message', 'stack', 'code']) {
    if (typeof from[name] === 'string') to[name] = from[name];
  }
  return to;
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
    let returned;
    try {
      returned = main(activation.value === undefined ? {} : activation.value);
    } catch (e) {
      // Thrown, not rejected: the run fails (a developer error); this launcher goes on serving.
      console.error(e);
      await answerFailure(thrownMessage(e));
      continue;
    }
    let result;
    try {
      result = await returned;
      if (result === undefined) result = {};
    } catch (reason) {
      // Rejected: an application error, not logged (OpenWhisk's runtime does not log it either).
      result = { error: rejectionError(reason) };
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
