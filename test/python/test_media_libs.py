"""Images, figures and tables with Pillow, numpy, matplotlib, pandas and PyYAML, and with none of
them: each script runs in LIBS_PYTHON (Debian's /usr/bin/python3 with python3-pil, python3-numpy,
python3-matplotlib, python3-pandas, python3-yaml), which must import them all: a missing library
fails these tests, never skips them. Scripts check with Pillow what only Pillow can read and hand
results back as one JSON line."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_bytes, read_events, tags_of  # noqa: E402
from test_media import IMAGE_NAME, decode_png, sha256  # noqa: E402


def setUpModule():
    support.require_libraries("PIL", "numpy", "matplotlib", "pandas", "yaml")


PRELUDE = '''
import io, json, os, sys
import runlog
from runlog import _media, _png
STORE = os.environ["RUNLOG_DIR"]

def report(**values):
    print("RESULT " + json.dumps(values))

def check(condition, message=""):
    if not condition:
        raise AssertionError(message)

def stored(run, relative):
    with open(os.path.join(run.dir, "artifacts", *relative.split("/")), "rb") as handle:
        return handle.read()

def artifacts(run):
    runlog.flush()
    found = []
    with open(os.path.join(run.dir, "events.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            event = json.loads(line)
            if event["t"] == "artifact":
                found.append(event["path"])
    return found

class no_pillow:
    """Makes the client behave as if Pillow were not installed."""
    def __enter__(self):
        self.real = _media.pil
        _media.pil = lambda: None
    def __exit__(self, *exc):
        _media.pil = self.real
'''

# For "none of them": these imports fail before runlog is imported, as on a bare interpreter.
BLOCKED = '''
import sys
for name in ("PIL", "numpy", "matplotlib", "pandas", "plotly", "yaml"):
    sys.modules[name] = None
'''


class LibsTest(support.ClientTest):
    def run_script(self, source, prelude=PRELUDE):
        self.store = os.path.join(self.tmp, "store")
        done = support.run_libs_script(prelude + source, self.tmp, {"RUNLOG_DIR": self.store})
        self.assertEqual(done.returncode, 0, done.stderr)
        self.stderr = done.stderr
        results = [line[7:] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        return json.loads(results[-1]) if results else {}

    def only_run(self):
        (run_id,) = os.listdir(os.path.join(self.store, "runs"))
        folder = os.path.join(self.store, "runs", run_id)
        return folder, read_events(folder)


class PillowTest(LibsTest):
    def test_the_standard_library_png_decodes_in_pillow_to_the_same_pixels(self):
        self.run_script('''
import numpy as np
from PIL import Image
rng = np.random.default_rng(0)
count = 0
for channels, mode in ((1, "L"), (3, "RGB"), (4, "RGBA")):
    for height, width in ((1, 1), (2, 3), (17, 31), (64, 1), (300, 257)):
        shape = (height, width) if channels == 1 else (height, width, channels)
        pixels = rng.integers(0, 256, size=shape, dtype=np.uint8)
        data = _png.encode(width, height, channels, pixels.tobytes())
        image = Image.open(io.BytesIO(data))
        image.load()
        check(image.format == "PNG" and image.mode == mode and image.size == (width, height), (image.mode, image.size))
        check(np.array_equal(np.asarray(image), pixels), "pixels differ for %s" % (shape,))
        count += 1
report(count=count)
''')

    def test_pixels_are_the_same_with_and_without_pillow_and_as_mlflow_converts_them(self):
        result = self.run_script('''
import numpy as np
from PIL import Image
rng = np.random.default_rng(1)
arrays = [
    rng.integers(0, 256, size=(12, 9, 3), dtype=np.uint8),
    rng.integers(0, 256, size=(5, 4), dtype=np.int32),
    rng.random((7, 6, 4), dtype=np.float32),
    rng.random((4, 4, 1)),
    rng.random((3, 8)) > 0.5,
    np.linspace(0, 1, 256 * 3).reshape(16, 16, 3),
]
def mlflow_pixels(array):  # MLflow's convert_to_pil_image: squeeze H x W x 1, ints as they are, others x 255
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.uint8)
    return (array * 255).astype(np.uint8)
with runlog.start_run() as run:
    for array in arrays:
        runlog.log_image(array, key="with")
        with no_pillow():
            runlog.log_image(array, key="without")
paths = artifacts(run)
with_pillow = [p for p in paths if p.startswith("images/with%") and p.endswith(".png")]
without = [p for p in paths if p.startswith("images/without%")]
check(len(with_pillow) == len(without) == len(arrays), paths)
for array, a, b in zip(arrays, with_pillow, without):
    expected = mlflow_pixels(array)
    png = io.BytesIO()
    Image.fromarray(expected).save(png, format="PNG")
    check(stored(run, a) == png.getvalue(), "with Pillow the PNG is MLflow's image.save(...png)")
    for path in (a, b):
        got = np.asarray(Image.open(io.BytesIO(stored(run, path))))
        check(np.array_equal(got, expected), "pixels of %s differ" % path)
report(paths=paths)
''')
        previews = [p for p in result["paths"] if p.endswith("%compressed.webp")]
        self.assertEqual(len(previews), 6)  # with Pillow only
        self.assertTrue(all(p.startswith("images/with%") for p in previews))

    def test_the_preview_is_mlflows_256_pixel_webp(self):
        self.run_script('''
import numpy as np
from PIL import Image
rng = np.random.default_rng(2)
images = {
    "wide": Image.fromarray(rng.integers(0, 256, size=(100, 600, 3), dtype=np.uint8)),
    "tall": Image.fromarray(rng.integers(0, 256, size=(1000, 3), dtype=np.uint8)),
    "flat": Image.fromarray(rng.integers(0, 256, size=(2, 900), dtype=np.uint8)),
    "small": Image.fromarray(rng.integers(0, 256, size=(28, 28), dtype=np.uint8)),
    "rgba": Image.fromarray(rng.integers(0, 256, size=(40, 30, 4), dtype=np.uint8)),
    "palette": Image.new("P", (50, 20), 3),
}
jpeg = io.BytesIO()
images["wide"].save(jpeg, format="JPEG")
with runlog.start_run() as run:
    for key, image in images.items():
        runlog.log_image(image, key=key, step=4)
    runlog.log_image(jpeg.getvalue(), key="jpeg")
paths = artifacts(run)
def mlflow_preview(image):  # MLflow's compress_image_size, then image.save("...webp")
    width, height = image.size
    if width > height:
        size = (256, int(height * (256 / width)))
    else:
        size = (int(width * (256 / height)), 256)
    # MLflow's truncation gives a 3 x 1000 image a preview 0 pixels wide, which Pillow refuses
    # (MLflow's log_image raises); Runlog makes it 1 pixel wide.
    size = (max(1, size[0]), max(1, size[1]))
    out = io.BytesIO()
    image.resize(size).save(out, format="WEBP")
    return out.getvalue(), size
for key, image in images.items():
    (full,) = [p for p in paths if p.startswith("images/%s%%" % key) and p.endswith(".png")]
    (small,) = [p for p in paths if p.startswith("images/%s%%" % key) and p.endswith("%compressed.webp")]
    check(small == full[:-4] + "%compressed.webp", (full, small))
    expected, size = mlflow_preview(image)
    got = Image.open(io.BytesIO(stored(run, small)))
    check(got.format == "WEBP" and got.size == size, (key, got.format, got.size, size))
    check(stored(run, small) == expected, "the preview of %s is not byte for byte MLflow's" % key)
    png = io.BytesIO()
    image.save(png, format="PNG")
    check(stored(run, full) == png.getvalue(), "the PNG of %s is not MLflow's image.save" % key)
(full,) = [p for p in paths if p.startswith("images/jpeg%") and p.endswith(".jpg")]
check(stored(run, full) == jpeg.getvalue(), "JPEG bytes are stored as they are")
expected, size = mlflow_preview(Image.open(io.BytesIO(jpeg.getvalue())))
check(stored(run, full[:-4] + "%compressed.webp") == expected, "the JPEG's preview")
''')
        folder, events = self.only_run()
        for artifact in of_type(events, "artifact"):
            self.assertTrue(IMAGE_NAME.match(artifact["path"]), artifact["path"])
            data = read_bytes(os.path.join(folder, "artifacts", *artifact["path"].split("/")))
            self.assertEqual((artifact["size"], artifact["sha256"]), (len(data), sha256(data)))
        self.assertEqual(tags_of(events)["mlflow.loggedImages"], "True")

    def test_artifact_files_take_the_format_of_their_extension_through_pillow(self):
        self.run_script('''
import numpy as np
from PIL import Image
rgba = Image.new("RGBA", (4, 3), (1, 2, 3, 4))
png = io.BytesIO()
Image.new("RGB", (5, 2), "red").save(png, format="PNG")
with runlog.start_run() as run:
    runlog.log_image(np.zeros((3, 4, 3), dtype=np.uint8), artifact_file="a.jpg")
    runlog.log_image(rgba, artifact_file="b.bmp")
    runlog.log_image(png.getvalue(), artifact_file="c.jpeg")
    runlog.log_image(png.getvalue(), artifact_file="d.png")
    for image, name, message in (
        (rgba, "x.jpg", "Pillow could not write this RGBA-mode image as JPEG"),
        (Image.new("F", (2, 2)), None, "Pillow could not write this F-mode image as PNG"),
        (rgba, "x.nosuch", "cannot write an image as '.nosuch'; use .png or .jpg"),
        (b"GIF89a-not-really", "x.gif", "is not an image Pillow can read"),
    ):
        try:
            if name:
                runlog.log_image(image, artifact_file=name)
            else:
                runlog.log_image(image, key="k")
        except ValueError as exc:
            check(message in str(exc), str(exc))
        else:
            raise AssertionError("no ValueError for " + message)
formats = {name: Image.open(io.BytesIO(stored(run, name))).format for name in ("a.jpg", "b.bmp", "c.jpeg", "d.png")}
check(formats == {"a.jpg": "JPEG", "b.bmp": "BMP", "c.jpeg": "JPEG", "d.png": "PNG"}, formats)
check(stored(run, "d.png") == png.getvalue(), "PNG bytes kept as they are")
check(sorted(artifacts(run)) == ["a.jpg", "b.bmp", "c.jpeg", "d.png"], artifacts(run))
''')


class MatplotlibTest(LibsTest):
    def test_figures_as_images_of_a_key_and_as_artifacts(self):
        self.run_script('''
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from PIL import Image
figure, axes = plt.subplots(figsize=(4, 3), dpi=50)
axes.plot([0, 1, 2], [2, 1, 3])
with runlog.start_run() as run:
    runlog.log_image(figure, key="plots/loss", step=2)
    runlog.log_figure(figure, "figures/loss.png")
    runlog.log_figure(figure, "figures/loss.svg")
    runlog.log_figure(figure, "figures/loss.pdf", save_kwargs={"dpi": 20})
    runlog.log_figure(figure, "figures/loss")
    try:
        runlog.log_figure(figure, "figures/loss.nosuch")
    except ValueError as exc:
        check("nosuch" in str(exc), str(exc))
    else:
        raise AssertionError("matplotlib accepted .nosuch")
paths = artifacts(run)
(full,) = [p for p in paths if p.startswith("images/plots#loss%step%2%") and p.endswith(".png")]
check(Image.open(io.BytesIO(stored(run, full))).size == (200, 150), "figsize x dpi")
check(any(p.endswith("%compressed.webp") for p in paths), paths)
check(stored(run, "figures/loss.png")[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "png")
check(b"<svg" in stored(run, "figures/loss.svg")[:1000], "svg")
check(stored(run, "figures/loss.pdf")[:5] == b"%PDF-", "pdf")
check(stored(run, "figures/loss")[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "matplotlib's default format")
check(len([p for p in paths if p.startswith("figures/")]) == 4, paths)
''')


class PandasTest(LibsTest):
    def test_a_dataframe_is_written_as_pandas_writes_it_for_mlflow_and_appends(self):
        result = self.run_script('''
import numpy as np
import pandas as pd
frame = pd.DataFrame({
    "inputs": ["What is MLflow?", "a/b é"],
    "score": [1 / 3, np.nan],
    "when": [pd.Timestamp("2024-01-02 03:04:05.123456"), pd.NaT],
    "n": np.array([1, 2], dtype=np.int64),
})
expected = frame.to_json(orient="split", index=False, date_format="iso").encode("utf-8")
with runlog.start_run() as run:
    runlog.log_table(frame, "eval/results.json")
    first = stored(run, "eval/results.json")
    runlog.log_table({"inputs": pd.Series(["third"]), "extra": np.array([0.25])}, "eval/results.json")
    runlog.log_table(frame.iloc[:1], "eval/results.json")
check(first == expected, (first, expected))
report(table=json.loads(stored(run, "eval/results.json")))
''')
        self.assertEqual(result["table"], {
            "columns": ["inputs", "score", "when", "n", "extra"],
            "data": [
                ["What is MLflow?", 0.3333333333, "2024-01-02T03:04:05.123", 1, None],
                ["a/b é", None, None, 2, None],
                ["third", None, None, None, 0.25],
                ["What is MLflow?", 0.3333333333, "2024-01-02T03:04:05.123", 1, None],
            ],
        })
        folder, events = self.only_run()
        self.assertEqual(len([a for a in of_type(events, "artifact") if a["path"] == "eval/results.json"]), 3)
        self.assertEqual(tags_of(events)["mlflow.loggedArtifacts"], '[{"path": "eval/results.json", "type": "table"}]')

    def test_image_cells_are_stored_as_mlflow_stores_them(self):
        result = self.run_script('''
import pandas as pd
from PIL import Image
images = [Image.new("RGB", (8, 4), "red"), Image.new("L", (3, 3), 9)]
frame = pd.DataFrame({"prompt": ["a dog", "a cat"], "image": images})
with runlog.start_run() as run:
    runlog.log_table(frame, "gen/samples.json")
    runlog.log_table({"prompt": ["a fish"], "image": [Image.new("RGB", (2, 2))]}, "gen/samples.json")
    for data in (pd.DataFrame({"mixed": [images[0], "text"]}), {"mixed": [images[0], 1]}):
        try:
            runlog.log_table(data, "gen/bad.json")
        except ValueError as exc:
            check("mixes images and other cells" in str(exc), str(exc))
        else:
            raise AssertionError("a mixed column was accepted")
check(frame["image"].tolist() == images, "the caller's DataFrame keeps its images")
table = json.loads(stored(run, "gen/samples.json"))
for row in table["data"]:
    cell = row[1]
    png = Image.open(io.BytesIO(stored(run, cell["filepath"])))
    webp = Image.open(io.BytesIO(stored(run, cell["compressed_filepath"])))
    check(png.format == "PNG" and webp.format == "WEBP" and max(webp.size) == 256, (png.format, webp.format, webp.size))
report(table=table, paths=artifacts(run))
''')
        rows = result["table"]["data"]
        self.assertEqual([row[0] for row in rows], ["a dog", "a cat", "a fish"])
        for row in rows:
            self.assertEqual(row[1]["type"], "image")
            self.assertRegex(row[1]["filepath"], r"^table_images/gen/samples/[0-9a-f-]{36}\.png$")
            self.assertEqual(row[1]["compressed_filepath"], row[1]["filepath"][:-4] + ".webp")
        self.assertNotIn("gen/bad.json", result["paths"])


class YamlTest(LibsTest):
    def test_log_dict_yaml_is_byte_for_byte_what_pyyaml_dump_writes(self):
        result = self.run_script('''
import datetime, random
import yaml
from runlog import _yaml
random.seed(7)
alphabet = "ab :#-'\\"\\n\\t é,[]{}?*&!|>%@`01.~"
def text():
    return "".join(random.choice(alphabet) for _ in range(random.randint(0, 14)))
def words():
    return " ".join(text().replace(" ", "") or "w" for _ in range(random.randint(1, 30)))
def value(depth):
    kind = random.randrange(10 if depth < 3 else 7)
    if kind == 0: return text()
    if kind == 1: return words()
    if kind == 2: return random.choice([None, True, False, 0, -7, 10 ** 20])
    if kind == 3: return random.choice([0.5, 1e-08, 1e20, -0.0, float("inf"), 1 / 3, 123456789.125])
    if kind == 4: return random.choice(["yes", "No", "null", "~", "1.5", "0x1F", "2024-01-02", "<<", "=", "---x"])
    if kind == 5: return random.choice([datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5, 6)])
    if kind == 6: return random.choice([[], {}])
    if kind == 7: return [value(depth + 1) for _ in range(random.randint(1, 4))]
    return {random.choice([text(), words()[:140]]): value(depth + 1) for _ in range(random.randint(1, 4))}
checked = differ = 0
for _ in range(3000):
    data = {text(): value(0) for _ in range(random.randint(1, 5))}
    ours = _yaml.dump(data)
    theirs = yaml.dump(data, indent=2, default_flow_style=False)
    check(ours == theirs, "%r:\\n%s\\n---- PyYAML ----\\n%s" % (data, ours, theirs))
    checked += 1
with runlog.start_run() as run:
    runlog.log_dict(data, "config.yaml")
check(stored(run, "config.yaml") == yaml.dump(data, indent=2, default_flow_style=False).encode("utf-8"))
report(checked=checked)
''')
        self.assertEqual(result["checked"], 3000)


class NoLibrariesTest(LibsTest):
    def test_without_any_library_images_tables_and_yaml_use_the_standard_library(self):
        result = self.run_script(BLOCKED + PRELUDE + '''
check(_media.pil() is None, "Pillow is blocked")
with runlog.start_run() as run:
    runlog.log_image([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [9, 9, 9]]], key="rgb")
    runlog.log_image([[0.0, 1.0]], artifact_file="gray.png")
    runlog.log_table({"a": [1, 2], "b": "x"}, "t.json")
    runlog.log_dict({"b": [1, "yes"], "a": None}, "c.yaml")
    for call in (lambda: runlog.log_figure(object(), "f.png"), lambda: runlog.log_image(object(), key="k")):
        try:
            call()
        except TypeError:
            pass
        else:
            raise AssertionError("accepted an object")
report(modules=sorted(name for name in ("PIL", "numpy", "matplotlib", "pandas", "yaml")
                      if sys.modules.get(name) is not None), paths=artifacts(run))
''', prelude="")
        self.assertEqual(result["modules"], [])
        folder, events = self.only_run()
        paths = [a["path"] for a in of_type(events, "artifact")]
        self.assertEqual(len(paths), 4)  # no preview without Pillow
        rgb = paths[0]
        self.assertTrue(IMAGE_NAME.match(rgb), rgb)
        self.assertEqual(decode_png(read_bytes(os.path.join(folder, "artifacts", rgb))),
                         (2, 2, 3, bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])))
        self.assertEqual(decode_png(read_bytes(os.path.join(folder, "artifacts", "gray.png"))), (2, 1, 1, b"\x00\xff"))
        self.assertEqual(read_bytes(os.path.join(folder, "artifacts", "c.yaml")), b"a: null\nb:\n- 1\n- 'yes'\n")
        self.assertEqual(json.loads(read_bytes(os.path.join(folder, "artifacts", "t.json"))),
                         {"columns": ["a", "b"], "data": [[1, "x"], [2, "x"]]})


if __name__ == "__main__":
    unittest.main()
