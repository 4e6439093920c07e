"""A local scoring server for a logged or registered model, in MLflow's REST format.

    python -m runlog.serve --model models:/house-prices@champion [--port 0] [--host 127.0.0.1]

prints one line, ``Serving <uri> at http://<host>:<port>``, then answers ``GET /ping`` (and
``/health``) and ``POST /invocations`` until interrupted. The store is ``--store``, else
``RUNLOG_DIR``, else the nearest ``.runlog/``. Bad requests get a JSON error and never stop it.
"""

import argparse
import json
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List, Optional, Tuple

from . import _loading, _registry, _scoring

MAX_BODY = 10 * 1024 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class ScoringHandler(BaseHTTPRequestHandler):
    server_version = "runlog-serve"
    protocol_version = "HTTP/1.1"
    timeout = 60  # a client that stops sending mid-request frees its thread

    model: Any = None
    columns: Optional[List[str]] = None
    predict_lock = threading.Lock()  # models are not promised to be thread-safe
    quiet = False
    allowed_hosts: Optional[Tuple[str, ...]] = LOOPBACK_NAMES  # None: any

    def _reply(self, status: int, body: Any) -> None:
        data = (json.dumps(body, allow_nan=False) + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, message: str, code: str = "BAD_REQUEST") -> None:
        self._reply(status, {"error_code": code, "message": message})

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        # http.server's own errors (a malformed request line, headers too long) in JSON too.
        self.close_connection = True
        try:
            self._error(code, message or self.responses.get(code, ("error",))[0],
                        "BAD_REQUEST" if code < 500 else "INTERNAL_ERROR")
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if not self.quiet:
            super().log_message(format, *args)

    def _endpoint(self) -> Optional[str]:
        """The path without its query, or None after refusing a request for another host name:
        by default only loopback names are served, so a web page whose domain was made to resolve
        to 127.0.0.1 (DNS rebinding) cannot call the model from the user's browser."""
        host = self.headers.get("Host")  # browsers always send it; bare HTTP/1.0 clients may not
        allowed = self.allowed_hosts
        if allowed is not None and host and _host_name(host).lower() not in allowed:
            self.close_connection = True  # a body, if any, is not read
            self._error(403, "this server answers only for %s (see --allowed-hosts)" % ", ".join(allowed), "FORBIDDEN")
            return None
        return self.path.split("?", 1)[0]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self._endpoint()
        if path is None:
            return
        if path in ("/ping", "/health"):
            self._reply(200, {"status": "ok"})
        elif path == "/invocations":
            self._error(405, "use POST for /invocations", "METHOD_NOT_ALLOWED")
        else:
            self._error(404, "no endpoint %s: use GET /ping or POST /invocations" % path[:200], "ENDPOINT_NOT_FOUND")

    do_HEAD = do_GET

    def _not_allowed(self) -> None:
        self._error(405, "%s is not supported here" % self.command, "METHOD_NOT_ALLOWED")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        path = self._endpoint()
        if path is None:
            return
        if path != "/invocations":
            self.close_connection = True  # its body is not read
            self._error(404, "no endpoint %s: POST to /invocations" % path[:200], "ENDPOINT_NOT_FOUND")
            return
        body = self._body()
        if body is None:
            return
        try:
            payload = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
            rows = _scoring.model_input(payload, self.columns)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            message = str(exc) if isinstance(exc, _scoring.BadRequest) else "the body is not valid JSON"
            self._error(400, message)
            return
        try:
            with self.predict_lock:
                predictions = self.model.predict(rows)
            result = _scoring.to_json(predictions)
        except Exception as exc:  # noqa: BLE001 - a model's failure is the request's, not the server's
            self._error(400, "the model could not score the input: %s: %s" % (type(exc).__name__, str(exc)[:1000]))
            return
        self._reply(200, {"predictions": result})

    def _body(self) -> Optional[bytes]:
        """The request body, or None after replying why it is refused."""
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        length_text = self.headers.get("Content-Length")
        try:
            length = int(length_text) if length_text is not None else -1
        except ValueError:
            length = -1
        if length < 0 or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._error(400, "a JSON body with a Content-Length is required (chunked bodies are not read)")
            return None
        if length > MAX_BODY:
            self.close_connection = True  # the unread body must not be taken for the next request
            self._error(413, "the body is %d bytes; the limit is %d" % (length, MAX_BODY), "PAYLOAD_TOO_LARGE")
            return None
        body = self.rfile.read(length)
        if kind != "application/json":
            self._error(415, "Content-Type must be application/json, not %r" % kind[:100], "UNSUPPORTED_MEDIA_TYPE")
            return None
        if len(body) < length or not body.strip():
            self.close_connection = True
            self._error(400, "the body is empty or incomplete")
            return None
        return body


def _host_name(header: str) -> str:
    """The name in a Host header: "127.0.0.1:8080" is "127.0.0.1", "[::1]:80" is "[::1]"."""
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0]


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _no_constant(name: str) -> Any:
    raise ValueError("%s is not JSON" % name)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def make_server(model: Any, host: str = "127.0.0.1", port: int = 0, columns: Optional[List[str]] = None,
                quiet: bool = False, allowed_hosts: Optional[Tuple[str, ...]] = LOOPBACK_NAMES) -> ThreadingHTTPServer:
    """A server (not yet serving) for ``model``; port 0 picks a free port (``server.server_port``).
    ``allowed_hosts``: the Host header names it answers (None: any)."""
    handler = type("Handler", (ScoringHandler,), {"model": model, "columns": columns, "quiet": quiet,
                                                   "predict_lock": threading.Lock(),
                                                   "allowed_hosts": allowed_hosts})
    server_class = _Server
    if ":" in host:
        server_class = type("Server6", (_Server,), {"address_family": socket.AF_INET6})
    return server_class((host, port), handler)


def _columns(uri: str, store: Optional[str]) -> Optional[List[str]]:
    """The input column names the model's signature gives, if any (read after load_model verified it)."""
    folder = _registry.resolve_model_uri(uri, store)
    manifest = _loading.parse_mlmodel((folder / "MLmodel").read_text(encoding="utf-8"))
    signature = manifest.get("signature")
    return _scoring.signature_columns(signature.get("inputs")) if isinstance(signature, dict) else None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runlog.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="models:/<name>@<alias>, models:/<name>/<version> or runs:/<id>/<path>")
    parser.add_argument("--port", type=int, default=0, help="the port; 0 (the default) picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    parser.add_argument("--store", help="the store folder (default: RUNLOG_DIR, else the nearest .runlog/)")
    parser.add_argument("--allowed-hosts", default=",".join(LOOPBACK_NAMES),
                        help="comma-separated Host names to answer, '*' for any (default: %(default)s)")
    args = parser.parse_args(argv)
    names = [name.strip().lower() for name in args.allowed_hosts.split(",") if name.strip()]
    allowed = None if "*" in names else tuple(names)
    try:
        model = _loading.load_model(args.model, args.store)
        columns = _columns(args.model, args.store)
        if not callable(getattr(model, "predict", None)):
            raise _loading.ModelLoadError("the model (a %s) has no predict method" % type(model).__name__)
        server = make_server(model, args.host, args.port, columns, allowed_hosts=allowed)
    except (LookupError, ValueError, OSError, _loading.ModelLoadError) as exc:
        print("runlog.serve: %s" % exc, file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - unpickling can fail in any way; say how, briefly
        print("runlog.serve: could not load %s: %s: %s" % (args.model, type(exc).__name__, exc), file=sys.stderr)
        return 1
    host = args.host if ":" not in args.host else "[%s]" % args.host
    print("Serving %s at http://%s:%d" % (args.model, host, server.server_port), flush=True)
    # Stop on Ctrl+C and on SIGTERM alike, even when started with SIGINT ignored (in the background).
    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
