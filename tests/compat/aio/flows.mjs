// The everyday command-line flows, as data: each step is the argument list that follows
// `aio runtime` (which mirrors `wsk`), and what must come of it. aio.test.mjs runs them with
// the aio CLI; a runner for another CLI (e.g. the Go `wsk`) can run the same lists, mapping
// the few aio-only flags (`--json`, `--binary`) to its own.
//
// Placeholders `${name}` are replaced before a step runs: the flow's own names (`names`:
// each gets a unique value), `${ns}` (the namespace), `${echo}` and `${hello}` (paths of the
// Wasm fixtures), `${dir}` (a directory holding the flow's `files`), and values captured by
// earlier steps.
//
// A step's `expect` (all optional):
//   exit       0 (the default) or 'nonzero'
//   stdout     regular expressions the standard output must match (placeholders are escaped)
//   stderr     the same for standard error, as one line (aio wraps its messages)
//   json       {path: value}: the JSON printed on stdout (from its first `{` or `[`) must have
//              these values at these dotted paths ('' is the whole document); `undefined`
//              means absent
//   match      {path: regex}: string values at these paths must match
//   contains   {path: {field: value}}: the array at path has an element with these fields
//   lacks      {path: {field: value}}: ... and no element with these
//   arrays     [path]: the values at these paths are arrays
// `capture`: {variable: path}: remembers a JSON value for later steps.
// `until`: the step is repeated until its expectations hold (for what a server does
// asynchronously, like storing an activation record), within a deadline.

export const flows = [
  {
    name: 'a Wasm action: create, get, list, invoke every way, activations, update, delete',
    names: ['action'],
    files: { 'params.json': '{"name": "File"}' },
    steps: [
      { run: ['action', 'create', '${action}', '${hello}', '--kind', 'wasm:wasip1', '--binary'] },
      {
        run: ['action', 'create', '${action}', '${hello}', '--kind', 'wasm:wasip1', '--binary'],
        expect: { exit: 'nonzero', stderr: ['failed to create the action: resource already exists \\(409 Conflict\\)'] }
      },
      {
        run: ['action', 'get', '${action}'],
        expect: {
          stdout: ['^${action}\\n'],
          json: { name: '${action}', namespace: '${ns}', 'exec.kind': 'wasm:wasip1', 'exec.binary': true, 'exec.code': undefined, version: '0.0.1' }
        }
      },
      { run: ['action', 'list', '--json'], expect: { contains: { '': { name: '${action}', namespace: '${ns}' } } } },
      { run: ['action', 'list'], expect: { stdout: ['wasm:wasip1\\s+0\\.0\\.1\\s+${action}'] } },
      { run: ['action', 'invoke', '${action}', '--result', '--param', 'name', 'Ada'], expect: { json: { '': { greeting: 'Hello, Ada!' } } } },
      { run: ['action', 'invoke', '${action}', '-r', '-P', '${dir}/params.json'], expect: { json: { greeting: 'Hello, File!' } } },
      {
        run: ['action', 'invoke', '${action}', '--blocking', '-p', 'name', 'Bob'],
        expect: { json: { name: '${action}', 'response.status': 'success', 'response.success': true, 'response.result.greeting': 'Hello, Bob!' } },
        capture: { blocked: 'activationId' }
      },
      {
        run: ['action', 'invoke', '${action}', '-p', 'name', 'Cy'],
        expect: { match: { activationId: '^[0-9a-f]{32}$' } },
        capture: { id: 'activationId' }
      },
      {
        run: ['activation', 'get', '${id}'],
        until: true,
        expect: { json: { activationId: '${id}', name: '${action}', namespace: '${ns}', 'response.result.greeting': 'Hello, Cy!' } }
      },
      { run: ['activation', 'result', '${id}'], expect: { json: { 'result.greeting': 'Hello, Cy!', success: true, status: 'success' } } },
      { run: ['activation', 'get', '${id}', '--logs'], expect: { stdout: ['^activation logs ${id}$', '^hello: greeting Cy$'] } },
      { run: ['activation', 'get', '${blocked}'], expect: { json: { 'response.result.greeting': 'Hello, Bob!' } } },
      {
        run: ['activation', 'list', '${action}', '--json'],
        until: true,
        expect: { contains: { '': { activationId: '${id}', name: '${action}' } } }
      },
      { run: ['activation', 'list', '${action}', '--count'], until: true, expect: { stdout: ['^You have 4 activations in this namespace\\.$'] } },
      { run: ['activation', 'list', '${action}', '--limit', '1', '--json'], expect: { json: { length: 1 } } },
      { run: ['activation', 'list', '${action}', '--full'], expect: { contains: { '': { activationId: '${id}', 'response.success': true } } } },
      { run: ['activation', 'list', '${action}'], expect: { stdout: ['success\\s+wasm:wasip1\\s+0\\.0\\.1.*${id}'] } },
      { run: ['activation', 'result', '--last'], expect: { match: { status: '^(success|application error|action developer error|whisk internal error)$' } } },
      { run: ['activation', 'get', '--last'], expect: { match: { activationId: '^[0-9a-f]{32}$' } } },
      { run: ['action', 'update', '${action}', '-p', 'name', 'Default'] },
      { run: ['action', 'get', '${action}'], expect: { json: { version: '0.0.2', parameters: [{ key: 'name', value: 'Default' }] } } },
      { run: ['action', 'invoke', '${action}', '-r'], expect: { json: { greeting: 'Hello, Default!' } } },
      { run: ['action', 'update', '${action}', '${echo}', '--kind', 'wasm:wasip1', '--binary'] },
      { run: ['action', 'invoke', '${action}', '-r', '-p', 'x', 'y'], expect: { json: { '': { name: 'Default', x: 'y' } } } },
      { run: ['action', 'delete', '${action}'] },
      {
        run: ['action', 'get', '${action}'],
        expect: { exit: 'nonzero', stderr: ['failed to retrieve the action: the requested resource does not exist\\. \\(404 Not Found\\)'] }
      },
      {
        run: ['action', 'invoke', '${action}', '-r'],
        expect: { exit: 'nonzero', stderr: ['failed to invoke the action: the requested resource does not exist\\. \\(404 Not Found\\)'] }
      },
      { run: ['action', 'list', '--json'], expect: { lacks: { '': { name: '${action}' } } } }
    ]
  },
  {
    name: 'an application error: the result and the record of a failed activation',
    names: ['action'],
    steps: [
      { run: ['action', 'create', '${action}', '${echo}', '--kind', 'wasm:wasip1', '--binary'] },
      // aio prints the failed result (exit 0), as wsk prints it with its error
      { run: ['action', 'invoke', '${action}', '-r', '-p', 'error', 'boom'], expect: { json: { '': { error: 'boom' } } } },
      {
        run: ['action', 'invoke', '${action}', '-b', '-p', 'error', 'boom'],
        expect: { json: { 'response.status': 'application error', 'response.success': false, 'response.result.error': 'boom' } },
        capture: { id: 'activationId' }
      },
      { run: ['activation', 'result', '${id}'], expect: { json: { status: 'application error', success: false } } },
      { run: ['activation', 'list', '${action}'], until: true, expect: { stdout: ['app error.*${id}'] } },
      { run: ['action', 'delete', '${action}'] }
    ]
  },
  {
    name: 'packages: create, update, actions inside, get, list, bind, invoke through a binding, delete',
    names: ['pkg', 'binding'],
    steps: [
      { run: ['package', 'create', '${pkg}', '-p', 'a', 'package', '-p', 'b', 'package', '--json'], expect: { json: { name: '${pkg}', namespace: '${ns}', binding: {}, publish: false } } },
      {
        run: ['package', 'create', '${pkg}'],
        expect: { exit: 'nonzero', stderr: ['failed to create the package: resource already exists \\(409 Conflict\\)'] }
      },
      { run: ['package', 'update', '${pkg}', '-p', 'a', 'package', '-p', 'b', 'package', '-p', 'c', 'package', '-p', 'd', 'package'] },
      { run: ['action', 'create', '${pkg}/echo', '${echo}', '--kind', 'wasm:wasip1', '--binary', '-p', 'c', 'action', '-p', 'd', 'action'] },
      {
        run: ['package', 'get', '${pkg}'],
        expect: { json: { name: '${pkg}', version: '0.0.2', binding: {} }, contains: { actions: { name: 'echo' }, parameters: { key: 'd', value: 'package' } } }
      },
      { run: ['package', 'list', '--json'], expect: { contains: { '': { name: '${pkg}', binding: false } } } },
      { run: ['package', 'list'], expect: { stdout: ['private\\s+package\\s+0\\.0\\.2\\s+${pkg}'] } },
      { run: ['action', 'list', '${pkg}', '--json'], expect: { contains: { '': { name: 'echo', namespace: '${ns}/${pkg}' } } } },
      { run: ['action', 'list', '--json'], expect: { contains: { '': { name: 'echo', namespace: '${ns}/${pkg}' } } } },
      { run: ['action', 'invoke', '${pkg}/echo', '-r'], expect: { json: { '': { a: 'package', b: 'package', c: 'action', d: 'action' } } } },
      { run: ['package', 'bind', '${pkg}', '${binding}', '-p', 'b', 'binding', '-p', 'c', 'binding', '-p', 'd', 'binding'] },
      {
        run: ['package', 'get', '${binding}'],
        expect: { json: { name: '${binding}', 'binding.namespace': '${ns}', 'binding.name': '${pkg}' }, contains: { actions: { name: 'echo' } } }
      },
      { run: ['package', 'list', '--json'], expect: { contains: { '': { name: '${binding}', 'binding.name': '${pkg}' } } } },
      { run: ['package', 'list'], expect: { stdout: ['private\\s+binding\\s+0\\.0\\.1\\s+${binding}'] } },
      {
        run: ['action', 'invoke', '${binding}/echo', '-r', '-p', 'd', 'request'],
        expect: { json: { '': { a: 'package', b: 'binding', c: 'action', d: 'request' } } }
      },
      { run: ['action', 'list', '${binding}', '--json'], expect: { contains: { '': { name: 'echo' } } } },
      {
        run: ['package', 'delete', '${pkg}'],
        expect: { exit: 'nonzero', stderr: ['failed to delete the package: package not empty \\(contains 1 entity\\)'] }
      },
      { run: ['package', 'delete', '${binding}'] },
      { run: ['action', 'delete', '${pkg}/echo'] },
      { run: ['package', 'delete', '${pkg}', '--json'], expect: { json: { name: '${pkg}' } } },
      {
        run: ['package', 'get', '${pkg}'],
        expect: { exit: 'nonzero', stderr: ['failed to retrieve the package: the requested resource does not exist\\. \\(404 Not Found\\)'] }
      },
      { run: ['package', 'list', '--json'], expect: { lacks: { '': { name: '${pkg}' } } } }
    ]
  },
  {
    name: 'a package deleted with its actions (--recursive)',
    names: ['pkg'],
    steps: [
      { run: ['package', 'create', '${pkg}'] },
      { run: ['action', 'create', '${pkg}/one', '${echo}', '--kind', 'wasm:wasip1', '--binary'] },
      { run: ['action', 'create', '${pkg}/two', '${hello}', '--kind', 'wasm:wasip1', '--binary'] },
      { run: ['package', 'delete', '${pkg}', '--recursive'] },
      { run: ['package', 'get', '${pkg}'], expect: { exit: 'nonzero', stderr: ['\\(404 Not Found\\)'] } },
      { run: ['action', 'get', '${pkg}/one'], expect: { exit: 'nonzero', stderr: ['\\(404 Not Found\\)'] } }
    ]
  },
  {
    name: 'namespaces: list, get, and `aio runtime list`',
    names: ['action'],
    steps: [
      { run: ['namespace', 'list', '--json'], expect: { json: { '': ['${ns}'] } } },
      { run: ['namespace', 'list'], expect: { stdout: ['^\\s*${ns}\\s*$'] } },
      { run: ['action', 'create', '${action}', '${echo}', '--kind', 'wasm:wasip1', '--binary'] },
      {
        run: ['namespace', 'get', '--json'],
        expect: { arrays: ['actions', 'packages', 'triggers', 'rules'], contains: { actions: { name: '${action}' } } }
      },
      { run: ['namespace', 'get'], expect: { stdout: ['^Entities in namespace:', '/${ns}/${action}\\s+private\\s+wasm:wasip1'] } },
      { run: ['list'], expect: { stdout: ['^Entities in namespace:', '/${ns}/${action}'] } },
      { run: ['action', 'delete', '${action}'] }
    ]
  },
  {
    name: 'a JavaScript action from a .js file (needs container actions)',
    needs: 'docker',
    names: ['action'],
    files: { 'hello.js': 'function main(params) {\n  console.log("js says hi to " + params.name)\n  return { hello: params.name }\n}\n' },
    steps: [
      { run: ['action', 'create', '${action}', '${dir}/hello.js'] },
      { run: ['action', 'get', '${action}'], expect: { match: { 'exec.kind': '^nodejs:\\d+$' } } },
      { run: ['action', 'get', '${action}', '--code'], expect: { stdout: ['js says hi to'] } },
      { run: ['action', 'invoke', '${action}', '-r', '-p', 'name', 'Node'], expect: { json: { '': { hello: 'Node' } } } },
      { run: ['action', 'invoke', '${action}', '-b', '-p', 'name', 'Log'], capture: { id: 'activationId' } },
      { run: ['activation', 'get', '${id}', '--logs'], expect: { stdout: ['^js says hi to Log$'] } },
      { run: ['action', 'update', '${action}', '${dir}/hello.js', '--kind', 'nodejs:18', '--timeout', '3000', '--memory', '128'] },
      { run: ['action', 'get', '${action}'], expect: { json: { 'exec.kind': 'nodejs:18', 'limits.timeout': 3000, 'limits.memory': 128 } } },
      { run: ['action', 'delete', '${action}'] }
    ]
  }
]
