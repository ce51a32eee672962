"""Gust's Python launcher: serves one OpenWhisk Python action over the actionloop protocol.

gust-proxy starts this once per action (python3 -u launcher.py) with:
  GUST_ACTION_DIR   the directory holding the action (__main__.py, from plain code or a zip)
  GUST_MAIN         the name of the function to call (default "main")
  __OW_WAIT_FOR_ACK set: write {"ok": true} on fd 3 once the action is loaded
Then each stdin line is one activation, {"value": {...}, "activation_id": ..., ...}; the
answer is one line of JSON on fd 3. stdout and stderr are the activation's logs.

As a zygote (GUST_ZYGOTE=1: started by the proxy before any /init, so that the interpreter's
start-up is paid ahead of demand) it first writes {"ready": true} on fd 3, then reads one stdin
line, {"init": {"dir": ..., "main": ..., "env": {...}}}: it adds `env` to its environment (the
variables above come that way), moves to `dir`, and goes on as above.
"""

import importlib.util
import json
import os
import sys
import time
import traceback


def write_result(out, result):
    """Flushes the logs, then writes one JSON line on the result channel."""
    sys.stdout.flush()
    sys.stderr.flush()
    out.write(json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n")
    out.flush()


class NoMain(Exception):
    """The action loaded but has no usable main: reported without a launcher traceback."""


def load(action_dir, main_name):
    """Imports <action_dir>/__main__.py as a module and returns its function `main_name`."""
    site = os.path.join(action_dir, "virtualenv", "lib",
                        "python%d.%d" % sys.version_info[:2], "site-packages")
    if os.path.isdir(site):
        sys.path.insert(0, site)
    sys.path.insert(0, action_dir)
    path = os.path.join(action_dir, "__main__.py")
    if not os.path.isfile(path):
        raise NoMain("the action has no __main__.py (a zip must hold it at its root)")
    # Not named __main__, so that an `if __name__ == "__main__":` block does not run.
    spec = importlib.util.spec_from_file_location("__gust_action__", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["__gust_action__"] = module
    spec.loader.exec_module(module)
    function = getattr(module, main_name, None)
    if function is None:
        raise NoMain("the action has no function named %r" % main_name)
    if not callable(function):
        raise NoMain("%r in the action is not a function" % main_name)
    return function


def export_context(activation, exported):
    """Sets __OW_<KEY> for every key of the activation but `value`; removes the variables a
    previous activation set that this one does not carry. Returns the names set."""
    names = set()
    for key, value in activation.items():
        if key == "value" or value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        name = "__OW_" + key.upper()
        if "\0" in text or "\0" in name or "=" in name:
            continue
        os.environ[name] = text
        names.add(name)
    for stale in exported - names:
        os.environ.pop(stale, None)
    return names


def serve(main, out):
    """One activation per stdin line, one result per line on `out`, until stdin ends."""
    exported = set()
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            return
        if not line.strip():
            continue
        try:
            activation = json.loads(line)
            if not isinstance(activation, dict):
                raise ValueError("the activation is not a JSON object")
        except ValueError as e:
            write_result(out, {"error": "invalid activation: %s" % e})
            continue
        exported = export_context(activation, exported)
        try:
            result = main(activation.get("value", {}))
        except Exception as e:
            # An application error, as in OpenWhisk's Python runtime: the traceback goes to the
            # logs (without the launcher's own frame), the message to the result. (SystemExit
            # ends the launcher: the proxy reports it.)
            traceback.print_exception(type(e), e, e.__traceback__.tb_next)
            write_result(out, {"error": str(e) or type(e).__name__})
            continue
        try:
            text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as e:
            traceback.print_exc()
            write_result(out, {"error": "The action's result is not JSON serialisable: %s" % e})
            continue
        # Not a dict (a list, a string, None...) goes as it is: the proxy and invoker judge it.
        sys.stdout.flush()
        sys.stderr.flush()
        out.write(text + "\n")
        out.flush()


def await_init(out):
    """The zygote's wait: says it is ready, then takes the action's directory, main and
    environment from one stdin line. Returns (action_dir, main_name)."""
    write_result(out, {"ready": True})
    line = sys.stdin.buffer.readline()
    if not line:
        sys.exit(0)  # the proxy went away before handing over an action
    try:
        init = json.loads(line)["init"]
        action_dir, main_name, env = init["dir"], init.get("main"), init.get("env") or {}
        if not isinstance(action_dir, str) or not isinstance(env, dict):
            raise TypeError("dir must be a string and env an object")
        for name, value in env.items():
            os.environ[name] = value if isinstance(value, str) else json.dumps(value)
        os.environ.pop("GUST_ZYGOTE", None)
        if "TZ" in env:
            time.tzset()
        os.chdir(action_dir)
    except (ValueError, LookupError, TypeError, OSError) as e:
        write_result(out, {"error": "The action failed during initialization: "
                                    "the zygote got an unusable init line: %s" % e})
        sys.exit(1)
    return action_dir, main_name or os.environ.get("GUST_MAIN") or "main"


def main():
    out = os.fdopen(3, "w", encoding="utf-8")
    if os.environ.get("GUST_ZYGOTE") == "1":
        action_dir, main_name = await_init(out)
    else:
        action_dir = os.environ.get("GUST_ACTION_DIR", "/action")
        main_name = os.environ.get("GUST_MAIN") or "main"
    try:
        function = load(action_dir, main_name)
    except NoMain as e:
        print(e, file=sys.stderr)
        detail = str(e)
    except BaseException as e:  # a syntax error, a failed import, a sys.exit() at import...
        traceback.print_exc()
        detail = "%s: %s" % (type(e).__name__, e)
    else:
        detail = None
    if detail is not None:
        write_result(out, {"error": "The action failed during initialization: %s" % detail})
        sys.exit(1)
    if os.environ.get("__OW_WAIT_FOR_ACK"):
        write_result(out, {"ok": True})
    serve(function, out)


if __name__ == "__main__":
    main()
