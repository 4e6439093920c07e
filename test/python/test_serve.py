"""runlog.serve: MLflow's scoring protocol, and bad requests that get a JSON error, never a crash."""

import http.client
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import runlog  # noqa: E402
from runlog import serve  # noqa: E402

try:
    import numpy
except ImportError:  # the client does not need numpy; only the conversion test does
    numpy = None


class Summer:
    """Sums each row; rows with "boom" raise, "object" returns what JSON cannot hold."""

    def predict(self, rows):
        if rows and rows[0] == "boom":
            raise RuntimeError("exploded on purpose")
        if rows and rows[0] == "object":
            return [object()]
        if rows and rows[0] == "numpy" and numpy is not None:
            return numpy.array([[1.5, 2.0]]), numpy.int64(7), numpy.float32("nan")
        return [sum(row) if isinstance(row, list) else row for row in rows]


class ServerTest(unittest.TestCase):
    def setUp(self):
        self.server = serve.make_server(Summer(), port=0, columns=["a", "b"], quiet=True)
        self.port = self.server.server_port
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)

    def request(self, method, path, body=None, headers=None):
        """(status, parsed JSON body) of one request."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            self.assertEqual(response.getheader("Content-Type"), "application/json")
            return response.status, json.loads(data) if data else None
        finally:
            connection.close()

    def score(self, payload, content_type="application/json"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", "/invocations", body, {"Content-Type": content_type})

    def assertBadRequest(self, answer, status=400, message=""):
        self.assertEqual(answer[0], status, answer)
        self.assertEqual(sorted(answer[1]), ["error_code", "message"])
        self.assertIn(message, answer[1]["message"])

    def test_ping_and_the_mlflow_input_formats(self):
        self.assertEqual(self.request("GET", "/ping")[0], 200)
        self.assertEqual(self.request("GET", "/health")[0], 200)
        self.assertEqual(self.score({"inputs": [[1, 2], [3, 4]]}), (200, {"predictions": [3, 7]}))
        self.assertEqual(self.score({"instances": [[1, 1]]}), (200, {"predictions": [2]}))
        split = {"dataframe_split": {"columns": ["b", "a"], "data": [[10, 1], [20, 2]]}}
        self.assertEqual(self.score(split), (200, {"predictions": [11, 22]}))
        records = {"dataframe_records": [{"b": 5, "a": 1, "extra": 100}]}
        self.assertEqual(self.score(records), (200, {"predictions": [6]}), "columns of the signature only")
        # through urllib too, as a user's script would call it
        request = urllib.request.Request("http://127.0.0.1:%d/invocations" % self.port,
                                         data=b'{"inputs": [[0.5, 0.25]]}',
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=10) as response:
            self.assertEqual(json.loads(response.read()), {"predictions": [0.75]})

    def test_bad_payloads_get_400_with_a_reason(self):
        cases = [
            (b"{not json", "not valid JSON"),
            (b'{"inputs": [NaN]}', "not valid JSON"),
            (b"\xff\xfe{}", "not valid JSON"),
            (b"[1, 2]", "JSON object"),
            (b'{"inputs": 5}', '"inputs" must be a list'),
            (b'{"inputs": [], "instances": []}', "exactly one of"),
            (b'{"columns": ["a"]}', "exactly one of"),
            (b'{"dataframe_split": {"columns": ["a", "b"], "data": [[1]]}}', "one value per column"),
            (b'{"dataframe_split": {"columns": ["a", "c"], "data": [[1, 2]]}}', "missing column(s) the model needs: b"),
            (b'{"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}', "twice"),
            (b'{"dataframe_split": {"data": 3}}', "list of rows"),
            (b'{"dataframe_records": [{"a": 1}]}', 'lacks the column "b"'),
            (b'{"dataframe_records": [1]}', "list of objects"),
            (b'{"inputs": ["boom"]}', "RuntimeError: exploded on purpose"),
            (b'{"inputs": ["object"]}', "no JSON form"),
            (b'{"inputs": [[' + b"[" * 100000 + b"]" * 100000 + b"]]}", ""),
            (b"   ", "empty"),
        ]
        for body, message in cases:
            with self.subTest(body=body[:60]):
                self.assertBadRequest(self.score(body), 400, message)
        self.assertEqual(self.request("GET", "/ping")[0], 200, "still serving")

    def test_wrong_type_size_path_or_method(self):
        self.assertBadRequest(self.score({"inputs": []}, "text/plain"), 415, "application/json")
        self.assertBadRequest(self.raw(b"POST /invocations HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"),
                              400, "Content-Length")
        self.assertBadRequest(self.request("POST", "/invocations", b"", {"Content-Type": "application/json"}),
                              400, "empty")
        self.assertBadRequest(self.request("GET", "/nope"), 404, "/nope")
        self.assertBadRequest(self.request("POST", "/ping", b"{}", {"Content-Type": "application/json"}), 404)
        self.assertBadRequest(self.request("DELETE", "/invocations"), 405)
        self.assertBadRequest(self.request("GET", "/invocations"), 405)
        for length in ("-5", "lots"):
            self.assertBadRequest(self.raw(b"POST /invocations HTTP/1.1\r\nContent-Type: application/json\r\n"
                                           b"Content-Length: " + length.encode() + b"\r\n\r\n"), 400)
        # Refused from the header alone: the 20 MB are never sent.
        self.assertBadRequest(self.raw(b"POST /invocations HTTP/1.1\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: 20000000\r\n\r\n"), 413, "limit")
        self.assertBadRequest(self.raw(b"POST /invocations HTTP/1.1\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: 100\r\n\r\n{\"inputs\":"), 400, "incomplete")
        self.assertBadRequest(self.raw(b"GET /a b HTTP/1.1\r\n\r\n"), 400)
        self.assertEqual(self.request("GET", "/ping?probe=1")[0], 200)
        self.assertEqual(self.request("GET", "/ping", headers={"Host": "localhost:1"})[0], 200)
        self.assertEqual(self.request("GET", "/ping", headers={"Host": "[::1]:1"})[0], 200)
        rebound = self.request("POST", "/invocations", b'{"inputs": []}',
                               {"Content-Type": "application/json", "Host": "evil.example:%d" % self.port})
        self.assertBadRequest(rebound, 403, "only for 127.0.0.1, localhost, [::1] (see --allowed-hosts)")

    def test_other_host_names_when_allowed(self):
        anyone = serve.make_server(Summer(), port=0, quiet=True, allowed_hosts=None)
        thread = threading.Thread(target=anyone.serve_forever, daemon=True)
        thread.start()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", anyone.server_port, timeout=10)
            connection.request("GET", "/ping", headers={"Host": "forwarded.example"})
            self.assertEqual(connection.getresponse().status, 200)
            connection.close()
        finally:
            anyone.shutdown()
            anyone.server_close()
            thread.join(5)
        self.assertEqual(self.request("GET", "/ping")[0], 200, "still serving")

    def raw(self, data):
        """(status, JSON body) of bytes sent as they are, the sending side then closed."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as connection:
            connection.sendall(data)
            connection.shutdown(socket.SHUT_WR)
            received = b""
            for piece in iter(lambda: connection.recv(65536), b""):
                received += piece
        head, _, body = received.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), json.loads(body)

    @unittest.skipIf(numpy is None, "numpy is not installed")
    def test_numpy_outputs_become_json(self):
        self.assertEqual(self.score({"inputs": ["numpy"]}), (200, {"predictions": [[[1.5, 2.0]], 7, None]}))


class CommandLineTest(support.ClientTest):
    def test_serves_a_registered_model_until_stopped(self):
        store = self.use_store()
        path = os.path.join(self.tmp, "model.pkl")
        with open(path, "wb") as handle:
            pickle.dump({"not": "a model"}, handle)
        with runlog.start_run():
            plain = runlog.log_model(path, name="plain")
        runlog.register_model(plain, "dict")
        env = dict(os.environ, PYTHONPATH=support.CLIENT, RUNLOG_DIR=store)
        failed = subprocess.run([sys.executable, "-m", "runlog.serve", "--model", "models:/dict/1"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(failed.returncode, 1)
        self.assertEqual(failed.stderr.decode().strip(), "runlog.serve: the model (a dict) has no predict method")
        missing = subprocess.run([sys.executable, "-m", "runlog.serve", "--model", "models:/dict@champion"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertIn("has no alias 'champion'", missing.stderr.decode())

        folder = os.path.join(self.tmp, "export")
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from test_load_model import pickled_model_folder

        pickled_model_folder(folder, "doubler_for_serve_test")
        with runlog.start_run():
            logged = runlog.log_model(folder, signature={"inputs": [{"name": "x"}, {"name": "y"}]})
        runlog.register_model(logged, "doubler")
        runlog.set_alias("doubler", "champion", 1)
        process = subprocess.Popen(
            [sys.executable, "-m", "runlog.serve", "--model", "models:/doubler@champion", "--port", "0"],
            env=env, cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            line = process.stdout.readline().decode().strip()
            self.assertRegex(line, r"^Serving models:/doubler@champion at http://127\.0\.0\.1:\d+$")
            url = line.rsplit(" ", 1)[1]
            body = json.dumps({"dataframe_split": {"columns": ["y", "x"], "data": [[1, 2]]}}).encode()
            request = urllib.request.Request(url + "/invocations", data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                self.assertEqual(json.loads(response.read()), {"predictions": [6]})
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(url + "/invocations", data=b"{",
                                       headers={"Content-Type": "application/json"}), timeout=10)
            self.assertEqual(refused.exception.code, 400)
            process.send_signal(signal.SIGTERM if os.name != "nt" else signal.CTRL_C_EVENT)
            self.assertEqual(process.wait(timeout=10), 0)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            process.stderr.close()


if __name__ == "__main__":
    unittest.main()
