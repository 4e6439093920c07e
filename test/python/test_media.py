"""Images, figures, tables, dicts and text (issue 18), in this interpreter, as it is: these tests
need none of Pillow, matplotlib or pandas, and make the client behave as if Pillow were missing even
where it is installed. test_media_libs.py runs the same calls with the libraries, in LIBS_PYTHON."""

import datetime
import errno
import hashlib
import json
import os
import re
import struct
import sys
import types
import unittest
import zlib
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402
from support import of_type, read_bytes, read_events, runlog, tags_of  # noqa: E402
from test_reliability import failing_store  # noqa: E402

from runlog import _media, _png, _table, _yaml  # noqa: E402

# MLflow's file names of a key's images: images/<key>%step%<n>%timestamp%<ms>%<uuid>.png, the preview
# ...%compressed.webp (mlflow/tracking/client.py, log_image).
IMAGE_NAME = re.compile(
    r"^images/(?P<key>[A-Za-z0-9_\-.# ]+)%step%(?P<step>-?\d+)%timestamp%(?P<ts>\d+)%"
    r"(?P<uuid>[g-z][0-9a-f]{7}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})"
    r"(?P<compressed>%compressed)?\.(?P<ext>png|jpg|webp)$"
)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- a PNG decoder for the tests (all five filters, 8-bit gray, RGB, gray+alpha, RGBA) -----------


def decode_png(data):
    """(width, height, channels, pixel bytes) of an 8-bit non-interlaced PNG; checks every CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
    position, idat, header, chunks = 8, [], None, []
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, "bad CRC in %r" % kind
        chunks.append(kind)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        position += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", chunks
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0, header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = bytearray()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            upper_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
                line[i] = (line[i] + predictor) & 255
            else:
                assert kind == 0, "filter type %d" % kind
        out += line
        previous = line
    return width, height, channels, bytes(out)


def flat(rows):
    """Nested lists of pixels as bytes, row by row."""
    out = []
    for row in rows:
        for pixel in row:
            out.extend(pixel if isinstance(pixel, (list, tuple)) else [pixel])
    return bytes(out)


def tiny_jpeg(width=5, height=3):
    """The markers of a JPEG up to its frame header (what the client reads): SOI, APP0, SOF0."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


class MediaTest(support.ClientTest):
    def setUp(self):
        super().setUp()
        self.store = self.use_store()
        # Pillow's absence, whatever this interpreter has: pixels go through the standard library.
        patcher = mock.patch.object(_media, "pil", return_value=None)
        patcher.start()
        self.addCleanup(patcher.stop)

    def artifacts(self, run):
        return {event["path"]: event for event in of_type(read_events(run.dir), "artifact")}

    def stored(self, run, relative):
        return read_bytes(os.path.join(run.dir, "artifacts", *relative.split("/")))


class PngEncoderTest(unittest.TestCase):
    def test_gray_rgb_and_rgba_pixels_come_back_identical(self):
        for channels in (1, 3, 4):
            for width, height in ((1, 1), (7, 5), (300, 2), (2, 300)):
                pixels = bytes((x * 31 + y * 17 + c * 101) % 256 for y in range(height) for x in range(width)
                               for c in range(channels))
                data = _png.encode(width, height, channels, pixels)
                self.assertEqual(decode_png(data), (width, height, channels, pixels))
                self.assertEqual(_png.image_size(data), ("png", width, height))

    def test_an_image_larger_than_one_compression_slice_is_whole(self):
        width, height = 1500, 900  # 4 MB of RGB, compressed in 1 MB slices of rows
        pixels = bytes((i * 7) % 251 for i in range(width * height * 3))
        self.assertEqual(decode_png(_png.encode(width, height, 3, pixels)), (width, height, 3, pixels))

    def test_the_chunks_are_ihdr_idat_iend_with_mlflow_readable_headers(self):
        data = _png.encode(3, 2, 4, bytes(24))
        self.assertEqual(data[12:16], b"IHDR")
        self.assertEqual(struct.unpack(">IIBBBBB", data[16:29]), (3, 2, 8, 6, 0, 0, 0))
        self.assertEqual(data[-12:], b"\x00\x00\x00\x00IEND\xaeB`\x82")

    def test_wrong_sizes_and_channels_are_refused(self):
        with self.assertRaisesRegex(ValueError, "1, 3 or 4 channels"):
            _png.encode(1, 1, 2, b"\x00\x00")
        with self.assertRaisesRegex(ValueError, "take 12 bytes, not 11"):
            _png.encode(2, 2, 3, bytes(11))
        with self.assertRaisesRegex(ValueError, "2\\*\\*31"):
            _png.encode(0, 1, 1, b"")

    def test_jpeg_and_png_headers_give_the_size_and_other_bytes_are_refused(self):
        self.assertEqual(_png.image_size(tiny_jpeg(640, 480)), ("jpeg", 640, 480))
        with self.assertRaisesRegex(ValueError, "neither a PNG nor a JPEG"):
            _png.image_size(b"GIF89a....")
        with self.assertRaisesRegex(ValueError, "no frame header"):
            _png.image_size(b"\xff\xd8\xff\xd9")
        with self.assertRaisesRegex(ValueError, "not a PNG"):
            _png.png_size(b"\x89PNG\r\n\x1a\n")


class ImageKeyTest(MediaTest):
    def test_a_keys_images_follow_mlflows_layout_with_steps_timestamps_and_the_tag(self):
        with runlog.start_run() as run:
            runlog.log_image([[0, 128], [255, 7]], key="val/samples")
            runlog.log_image([[1, 2], [3, 4]], key="val/samples")
            runlog.log_image([[1, 2], [3, 4]], key="val/samples", step=10, timestamp=1700000000123)
            runlog.log_image([[9]], key="val/samples")
            runlog.log_image([[9]], key="other key.v2")
        events = read_events(run.dir)
        artifacts = of_type(events, "artifact")
        names = [IMAGE_NAME.match(a["path"]) for a in artifacts]
        self.assertTrue(all(names), [a["path"] for a in artifacts])
        self.assertEqual([(m["key"], int(m["step"])) for m in names],
                         [("val#samples", 0), ("val#samples", 1), ("val#samples", 10), ("val#samples", 11),
                          ("other key.v2", 0)])
        self.assertEqual(names[2]["ts"], "1700000000123")
        self.assertTrue(all(m["ext"] == "png" and not m["compressed"] for m in names))  # no preview without Pillow
        for artifact in artifacts:
            data = self.stored(run, artifact["path"])
            self.assertEqual((artifact["size"], artifact["sha256"]), (len(data), sha256(data)))
        self.assertEqual(decode_png(self.stored(run, artifacts[0]["path"])), (2, 2, 1, bytes([0, 128, 255, 7])))
        tags = [e for e in of_type(events, "tag") if e["key"] == "mlflow.loggedImages"]
        self.assertEqual([t["value"] for t in tags], ["True"])  # MLflow's str(True), once per run
        # MLflow's UI splits the name on "%": key, "step", step, "timestamp", timestamp, uuid[, "compressed"].
        fields = os.path.splitext(artifacts[0]["path"][len("images/"):])[0].split("%")
        self.assertEqual(fields[1::2][:2], ["step", "timestamp"])
        self.assertEqual(fields[0].replace("#", "/"), "val/samples")
        # No "%" is followed by two hex digits, which percent-decoding would read.
        self.assertFalse(any(re.search(r"%[0-9a-fA-F]{2}", a["path"]) and not re.search(r"%(step|timestamp)%", a["path"])
                             for a in artifacts))

    def test_pixels_from_nested_lists_are_converted_as_mlflow_converts_arrays(self):
        cases = [
            ([[0, 255], [128, 1]], 1, bytes([0, 255, 128, 1])),
            ([[[0], [255]]], 1, bytes([0, 255])),  # H x W x 1
            ([[[1, 2, 3], [4, 5, 6]]], 3, bytes([1, 2, 3, 4, 5, 6])),
            ([[(1, 2, 3, 4)]], 4, bytes([1, 2, 3, 4])),
            ([[True, False]], 1, bytes([255, 0])),
            ([[0.0, 0.5, 1.0, 0.999]], 1, bytes([0, 127, 255, 254])),  # times 255, truncated
            ([[0, 0.5]], 1, bytes([0, 127])),  # one float makes them all floats, as numpy would
            ([[True, 2]], 1, bytes([1, 2])),  # among integers True is 1
        ]
        with runlog.start_run() as run:
            with self.assertRaises(ValueError):
                runlog.log_image([[300]], key="k")  # refused: takes no step
            for rows, _, _ in cases:
                runlog.log_image(rows, key="k")
        artifacts = of_type(read_events(run.dir), "artifact")
        self.assertEqual([int(IMAGE_NAME.match(a["path"])["step"]) for a in artifacts], list(range(len(cases))))
        stored = [self.stored(run, a["path"]) for a in artifacts]
        for (rows, channels, pixels), data in zip(cases, stored):
            width, height, got_channels, got = decode_png(data)
            self.assertEqual((got_channels, got), (channels, pixels), rows)
            self.assertEqual((width, height), (len(rows[0]), len(rows)))

    def test_numpy_arrays_without_pillow_are_encoded_by_the_standard_library(self):
        try:
            import numpy as np
        except ImportError:
            self.skipTest("numpy is not importable here; test_media_libs.py covers arrays with LIBS_PYTHON")
        rng = np.random.default_rng(3)
        arrays = [
            rng.integers(0, 256, size=(9, 13, 3), dtype=np.uint8),
            rng.integers(0, 256, size=(4, 6), dtype=np.int64),
            rng.random((5, 7, 4), dtype=np.float32),
            rng.random((3, 3, 1)),
            rng.random((6, 2)) > 0.5,
            np.asfortranarray(rng.integers(0, 256, size=(8, 5, 3), dtype=np.uint8)),
        ]
        with runlog.start_run() as run:
            for array in arrays:
                runlog.log_image(array, key="arrays")
            runlog.log_image([[np.True_, np.False_]], key="scalars")  # numpy scalars in lists
            with self.assertRaisesRegex(ValueError, r"float pixel values must lie in \[0, 1.0\]; these lie in \[0.5, 9.0\]"):
                runlog.log_image([[np.uint8(7), np.int64(9), np.float32(0.5)]], key="scalars")
        stored = [self.stored(run, a["path"]) for a in of_type(read_events(run.dir), "artifact")]
        self.assertEqual(decode_png(stored[-1])[3], bytes([255, 0]))
        for array, data in zip(arrays, stored):
            expected = array.astype(np.uint8) if array.dtype.kind in "iu" else (array * 255).astype(np.uint8)
            expected = expected.reshape(array.shape[0], array.shape[1], -1)
            width, height, channels, pixels = decode_png(data)
            self.assertEqual((height, width, channels), expected.shape)
            self.assertEqual(pixels, np.ascontiguousarray(expected).tobytes())

    def test_bad_pixels_shapes_and_types_raise_and_write_nothing(self):
        cases = [
            ([[0, 256]], ValueError, r"integer pixel values must lie in \[0, 255\]"),
            ([[-1, 0]], ValueError, r"\[0, 255\]"),
            ([[0.5, 1.5]], ValueError, r"float pixel values must lie in \[0, 1.0\]"),
            ([[float("nan")]], ValueError, "NaN"),
            ([[[1, 2]]], ValueError, "2 channels"),
            ([[1, 2], [3]], ValueError, "row 1 of the image has 1 pixels, not 2"),
            ([], ValueError, "list of rows"),
            ([[]], ValueError, "no pixels"),
            ([["a"]], TypeError, "booleans, integers or floats"),
            (object(), TypeError, "not object"),
            (b"GIF89a", ValueError, "neither PNG nor JPEG"),
            (b"\x89PNG\r\n\x1a\n", ValueError, "not a PNG"),
            (12, TypeError, "an image is a PIL image"),
        ]
        with runlog.start_run() as run:
            for image, error, message in cases:
                with self.assertRaisesRegex(error, message, msg=repr(image)):
                    runlog.log_image(image, key="k")
        self.assertEqual(self.artifacts(run), {})
        self.assertNotIn("mlflow.loggedImages", tags_of(read_events(run.dir)))

    def test_numpy_arrays_out_of_range_or_of_the_wrong_shape_raise(self):
        try:
            import numpy as np
        except ImportError:
            self.skipTest("numpy is not importable here; test_media_libs.py covers arrays with LIBS_PYTHON")
        cases = [
            (np.array([[0, 300]]), ValueError, r"integer pixel values must lie in \[0, 255\]"),
            (np.array([[0.0, 1.01]]), ValueError, r"\[0, 1.0\]"),
            (np.array([[np.nan]]), ValueError, "NaN"),
            (np.zeros((2, 2, 2)), ValueError, "2 channels"),
            (np.zeros((2, 2, 3, 1)), ValueError, "shape \\(2, 2, 3, 1\\)"),
            (np.zeros((0, 4)), ValueError, "no pixels"),
            (np.zeros((2, 2), dtype=complex), TypeError, "complex"),
            (np.broadcast_to(np.uint8(0), (8193, 8192)), ValueError, "at most 67108864 \\(8192 x 8192\\)"),
        ]
        with runlog.start_run() as run:
            for array, error, message in cases:
                with self.assertRaisesRegex(error, message):
                    runlog.log_image(array, key="k")
        self.assertEqual(self.artifacts(run), {})

    def test_png_and_jpeg_bytes_and_paths_are_stored_as_they_are(self):
        png = _png.encode(2, 1, 3, bytes(6))
        jpeg = tiny_jpeg()
        path = os.path.join(self.tmp, "photo.jpeg")
        with open(path, "wb") as handle:
            handle.write(jpeg)
        with runlog.start_run() as run:
            runlog.log_image(png, key="bytes")
            runlog.log_image(bytearray(jpeg), key="bytes")
            runlog.log_image(path, key="path")
            runlog.log_image(memoryview(png), artifact_file="plain/copy.png")
            with self.assertRaises(FileNotFoundError):
                runlog.log_image(os.path.join(self.tmp, "missing.png"), key="path")
        artifacts = of_type(read_events(run.dir), "artifact")
        self.assertEqual([IMAGE_NAME.match(a["path"])["ext"] for a in artifacts[:3]], ["png", "jpg", "jpg"])
        self.assertEqual([a["sha256"] for a in artifacts], [sha256(png), sha256(jpeg), sha256(jpeg), sha256(png)])
        self.assertEqual(artifacts[3]["path"], "plain/copy.png")

    def test_the_size_limits_are_documented_constants_and_refuse_before_writing(self):
        self.assertEqual((_media.MAX_IMAGE_BYTES, _media.MAX_IMAGE_PIXELS), (50 * 1024 * 1024, 8192 * 8192))
        big = os.path.join(self.tmp, "big.png")
        with open(big, "wb") as handle:
            handle.write(_png.encode(1, 1, 1, b"\x00"))
            handle.truncate(_media.MAX_IMAGE_BYTES + 1)
        with runlog.start_run() as run:
            with self.assertRaisesRegex(ValueError, r"takes 52428801 bytes; an image is at most 52428800 \(50 MB\)"):
                runlog.log_image(big, key="k")
            with self.assertRaisesRegex(ValueError, r"at most 52428800"):
                runlog.log_image(read_bytes(big), key="k")
            wide = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 10000, 10000, 8, 0, 0, 0, 0)
            with self.assertRaisesRegex(ValueError, r"10000 x 10000 = 100000000 pixels"):
                runlog.log_image(wide + b"\x00" * 4, key="k")
            rows = [[0] * 9000] * 7500
            with self.assertRaisesRegex(ValueError, "at most 67108864"):
                runlog.log_image(rows, key="k")
        self.assertEqual(self.artifacts(run), {})

    def test_keys_steps_and_arguments_are_checked(self):
        with runlog.start_run() as run:
            for key in ("", "a%b", "a#b", "é", "x" * 129, 5, "abc\n", "a\nb"):
                with self.assertRaisesRegex(ValueError, "key"):
                    runlog.log_image([[0]], key=key)
            with self.assertRaisesRegex(TypeError, "cannot be combined"):
                runlog.log_image([[0]], key="k", artifact_file="a.png")
            with self.assertRaisesRegex(TypeError, "cannot be combined"):
                runlog.log_image([[0]], step=3, artifact_file="a.png")
            with self.assertRaisesRegex(TypeError, "give key"):
                runlog.log_image([[0]])
            # MLflow's second positional argument is artifact_file: positional use is refused, not
            # taken as a key.
            with self.assertRaises(TypeError):
                runlog.log_image([[0]], "x.png")  # type: ignore[misc]
            with self.assertRaises(TypeError):
                run.log_image([[0]], "x.png")  # type: ignore[misc]
            with self.assertRaisesRegex(TypeError, "step must be an integer"):
                runlog.log_image([[0]], key="k", step="3")
            with self.assertRaisesRegex(ValueError, "timestamp must be an integer in \\[0"):
                runlog.log_image([[0]], key="k", timestamp=-1)
            for bad in ("/abs.png", "../up.png", "a/../../b.png", "folder/", "", "C:/x.png"):
                with self.assertRaisesRegex(ValueError, "artifact_file"):
                    runlog.log_image([[0]], artifact_file=bad)
            runlog.log_image([[0]], key="x" * 128, step=-3)
        (artifact,) = of_type(read_events(run.dir), "artifact")
        self.assertIn("%step%-3%", artifact["path"])
        self.assertLess(len(os.path.basename(artifact["path"]) + "%compressed.webp"), 255)
        with self.assertRaisesRegex(RuntimeError, "has ended"):
            run.log_image([[0]], key="k")

    def test_artifact_files_other_than_png_need_pillow(self):
        with runlog.start_run() as run:
            with self.assertRaisesRegex(ValueError, "without Pillow, pixels are written as PNG only"):
                runlog.log_image([[0]], artifact_file="a.jpg")
            with self.assertRaisesRegex(ValueError, "is PNG, and the artifact file '.jpg' asks for another format"):
                runlog.log_image(_png.encode(1, 1, 1, b"\x00"), artifact_file="a.jpg")
            with self.assertRaisesRegex(ValueError, "the image is JPEG, and the artifact file '.bmp' asks for another"):
                runlog.log_image(tiny_jpeg(), artifact_file="a.bmp")
            with self.assertRaisesRegex(ValueError, "pixels are written as PNG only; name the artifact file .png, not '.bmp'"):
                runlog.log_image([[0]], artifact_file="a.bmp")
            runlog.log_image(tiny_jpeg(), artifact_file="a.JPG")
            runlog.log_image([[1, 2]], artifact_file="dir/b.png")
        self.assertEqual(sorted(self.artifacts(run)), ["a.JPG", "dir/b.png"])
        self.assertEqual(decode_png(self.stored(run, "dir/b.png")), (2, 1, 1, b"\x01\x02"))
        self.assertNotIn("mlflow.loggedImages", tags_of(read_events(run.dir)))  # MLflow tags keys' images only

    def test_a_full_or_read_only_store_is_reported_once_and_never_raised(self):
        for code in (errno.ENOSPC, errno.EROFS):
            run = runlog.start_run()
            runlog.log_image([[0]], key="before")
            self.assertTrue(runlog.flush())
            with self.captured_stderr() as stderr, failing_store(os.path.join(run.dir, "artifacts"), code):
                runlog.log_image([[1]], key="k")
                runlog.log_image([[2]], key="k", artifact_file=None)
                runlog.log_image([[2]], artifact_file="x.png")
                runlog.log_table({"a": [1]}, "t.json")
                runlog.log_dict({"a": 1}, "d.yaml")
                runlog.log_text("hi", "n.txt")
            said = stderr.getvalue()
            self.assertIn(os.strerror(code), said)
            self.assertEqual(said.count("could not write"), 1, said)  # once until it works again
            with self.captured_stderr() as stderr:
                runlog.log_text("again", "n.txt")
            self.assertIn("works again", stderr.getvalue())
            runlog.end_run()
            self.assertEqual(sorted(p.split("%")[0] for p in self.artifacts(run)), ["images/before", "n.txt"])
            self.assertNotIn("mlflow.loggedArtifacts", tags_of(read_events(run.dir)))

    def test_an_unreadable_image_file_is_reported_not_raised(self):
        path = os.path.join(self.tmp, "photo.png")
        with open(path, "wb") as handle:
            handle.write(_png.encode(1, 1, 1, b"\x00"))
        with runlog.start_run() as run:
            real_open = open

            def refusing_open(file, mode="r", *args, **kwargs):
                if os.fspath(file) == path:
                    raise PermissionError(errno.EACCES, "Permission denied", path)
                return real_open(file, mode, *args, **kwargs)

            with self.captured_stderr() as stderr, mock.patch("builtins.open", refusing_open):
                runlog.log_image(path, key="k")
        self.assertIn("could not read the image %s: Permission denied" % path, stderr.getvalue())
        self.assertEqual(self.artifacts(run), {})

    def test_the_preview_size_is_mlflows_with_at_least_one_pixel(self):
        self.assertEqual(_media.preview_size(600, 100), (256, 42))
        self.assertEqual(_media.preview_size(100, 600), (42, 256))
        self.assertEqual(_media.preview_size(28, 28), (256, 256))  # smaller images are enlarged, as in MLflow
        self.assertEqual(_media.preview_size(900, 2), (256, 1))  # MLflow's truncation would give 0
        self.assertEqual(_media.preview_size(3, 1000), (1, 256))

    def test_the_module_level_calls_start_a_run_like_the_others(self):
        runlog.log_image([[0]], key="k")
        run = runlog.active_run()
        self.assertIsNotNone(run)
        runlog.end_run()
        self.assertEqual(len(self.artifacts(run)), 1)


class TableTest(MediaTest):
    def test_a_dict_of_columns_is_mlflows_split_json_and_names_the_table_in_a_tag(self):
        with runlog.start_run() as run:
            runlog.log_table({"inputs": ["What is MLflow?", "a/b"], "score": [0.5, float("nan")], "n": 3},
                             "eval/results.json")
        data = self.stored(run, "eval/results.json")
        self.assertEqual(json.loads(data), {"columns": ["inputs", "score", "n"],
                                            "data": [["What is MLflow?", 0.5, 3], ["a/b", None, 3]]})
        self.assertEqual(data, b'{"columns":["inputs","score","n"],"data":[["What is MLflow?",0.5,3],["a/b",null,3]]}')
        self.assertEqual(self.artifacts(run)["eval/results.json"]["sha256"], sha256(data))
        self.assertEqual(tags_of(read_events(run.dir))["mlflow.loggedArtifacts"],
                         '[{"path": "eval/results.json", "type": "table"}]')

    def test_single_cells_make_one_row_and_cells_become_json_values(self):
        with runlog.start_run() as run:
            runlog.log_table({"q": "What is MLflow?", "ok": True}, "one.json")
            runlog.log_table({"t": [datetime.datetime(2024, 1, 2, 3, 4, 5, 6000), datetime.date(2024, 1, 2)],
                              "nested": [[1, (2, 3)], {"k": float("inf")}], "none": [None, -0.0],
                              "e": ["é", "日本"]}, "cells.json")
        self.assertEqual(json.loads(self.stored(run, "one.json")), {"columns": ["q", "ok"], "data": [["What is MLflow?", True]]})
        cells = self.stored(run, "cells.json")
        self.assertTrue(cells.isascii())
        self.assertEqual(json.loads(cells)["data"], [["2024-01-02T03:04:05.006", [1, [2, 3]], None, "é"],
                                                     ["2024-01-02", {"k": None}, -0.0, "日本"]])

    def test_appending_adds_rows_and_new_columns_like_mlflows_concat(self):
        with runlog.start_run() as run:
            runlog.log_table({"a": [1, 2], "b": ["x", "y"]}, "t.json")
            runlog.log_table({"b": ["z"], "c": [True]}, "t.json")
            runlog.log_table({"a": [9]}, "t.json")
            runlog.log_table({"a": [0]}, "other.json")
        self.assertEqual(json.loads(self.stored(run, "t.json")),
                         {"columns": ["a", "b", "c"],
                          "data": [[1, "x", None], [2, "y", None], [None, "z", True], [9, None, None]]})
        events = read_events(run.dir)
        table_events = [a for a in of_type(events, "artifact") if a["path"] == "t.json"]
        self.assertEqual(len(table_events), 3)  # each version recorded; the store keeps the last
        self.assertEqual(table_events[-1]["sha256"], sha256(self.stored(run, "t.json")))
        tag_values = [e["value"] for e in of_type(events, "tag") if e["key"] == "mlflow.loggedArtifacts"]
        self.assertEqual(tag_values, ['[{"path": "t.json", "type": "table"}]',
                                      '[{"path": "t.json", "type": "table"}, {"path": "other.json", "type": "table"}]'])

    def test_bad_tables_raise_and_write_nothing(self):
        cases = [
            ({"a": [1, 2], "b": [1]}, "t.json", ValueError, "different lengths"),
            ({"a": {"x": 1}}, "t.json", ValueError, "is a dict"),
            ({"a": [b"bytes"]}, "t.json", TypeError, "column 'a' holds a bytes"),
            ({"a": [object()]}, "t.json", TypeError, "holds a object"),
            ([1, 2], "t.json", TypeError, "a dict of columns or a pandas DataFrame"),
            ({"a": [1]}, "t.parquet", ValueError, "must end in .json"),
            ({"a": [1]}, "a:b.json", ValueError, "may not hold ':'"),
            ({"a": [1]}, "../t.json", ValueError, "relative path"),
        ]
        with runlog.start_run() as run:
            for data, name, error, message in cases:
                with self.assertRaisesRegex(error, message):
                    runlog.log_table(data, name)
            runlog.log_text("not a table", "notes.json")
            with self.assertRaisesRegex(ValueError, "notes.json exists in the run and is not a table"):
                runlog.log_table({"a": [1]}, "notes.json")
        self.assertEqual(sorted(self.artifacts(run)), ["notes.json"])
        self.assertNotIn("mlflow.loggedArtifacts", tags_of(read_events(run.dir)))

    def test_a_joined_run_keeps_the_tables_another_process_named(self):
        os.makedirs(os.path.join(self.store, "runs", "editor-run"))
        with open(os.path.join(self.store, "runs", "editor-run", "events.jsonl"), "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"t": "run_start", "ts": 1, "run_id": "editor-run", "name": "n", "experiment": "e"}) + "\n")
            handle.write(json.dumps({"t": "tag", "ts": 2, "key": "mlflow.loggedArtifacts",
                                     "value": '[{"path": "first.json", "type": "table"}]'}) + "\n")
        os.environ["RUNLOG_RUN_ID"] = "editor-run"
        runlog.log_table({"a": [1]}, "second.json")
        run = runlog.active_run()
        runlog.end_run()
        self.assertEqual(json.loads(tags_of(read_events(run.dir))["mlflow.loggedArtifacts"]),
                         [{"path": "first.json", "type": "table"}, {"path": "second.json", "type": "table"}])

    def test_the_tag_stays_within_mlflows_limit_and_says_so_once(self):
        with runlog.start_run() as run, self.captured_stderr() as stderr:
            for number in range(250):
                runlog.log_table({"a": [number]}, "tables/table_number_%03d.json" % number)
        value = tags_of(read_events(run.dir))["mlflow.loggedArtifacts"]
        self.assertLessEqual(len(value), 8000)
        self.assertEqual(stderr.getvalue().count("too many tables"), 1)
        self.assertEqual(len(self.artifacts(run)), 250)

    def test_the_table_helpers_join_like_pandas(self):
        old = {"columns": ["a", 1], "data": [[1, 2]]}
        new = {"columns": [1, "c"], "data": [[3, 4]]}
        self.assertEqual(_table.append(old, new), {"columns": ["a", 1, "c"], "data": [[1, 2, None], [None, 3, 4]]})
        with self.assertRaisesRegex(ValueError, "repeat"):
            _table.append({"columns": ["a", "a"], "data": []}, new)


class DictTextTest(MediaTest):
    def test_json_is_mlflows_indent_2_with_str_for_the_rest(self):
        value = {"b": 1, "a": [1.5, None, True], "when": datetime.date(2024, 1, 2), "é": "ü"}
        with runlog.start_run() as run:
            runlog.log_dict(value, "config.json")
            runlog.log_dict(value, "config")  # no extension: JSON, as MLflow
        expected = json.dumps(value, indent=2, default=str).encode("utf-8")
        self.assertEqual(self.stored(run, "config.json"), expected)
        self.assertEqual(self.stored(run, "config"), expected)

    def test_yaml_is_what_pyyaml_dump_writes(self):
        value = {
            "model": {"layers": [64, 32], "activation": "relu", "dropout": 0.1, "eps": 1e-08},
            "name": "resnet-50 (fine-tuned)",
            "flags": {"yes": "yes", "empty": "", "none": None, "on": True, "list": [], "map": {}},
            "notes": "a long note " * 10,
            "steps": [{"lr": 0.01, "epochs": 3}, [1, [2]]],
            "special": ["a: b", "#x", "- y", "it's", "é", "two\nlines", " lead", "2024-01-02", "0x1F", "1.5"],
            "date": datetime.date(2024, 1, 2),
        }
        with runlog.start_run() as run:
            runlog.log_dict(value, "config.yaml")
            runlog.log_dict({"z": 1, "a": 2}, "dir/c.yml")
        self.assertEqual(self.stored(run, "dir/c.yml"), b"a: 2\nz: 1\n")
        text = self.stored(run, "config.yaml").decode("utf-8")
        self.assertEqual(text, EXPECTED_YAML)

    def test_yaml_of_tuples_numpy_values_and_others_and_of_a_loop(self):
        self.assertEqual(_yaml.dump({"t": (1, 2), "o": object.__name__}), "o: object\nt:\n- 1\n- 2\n")
        self.assertEqual(_yaml.dump("x"), "x\n...\n")
        self.assertEqual(_yaml.dump([]), "[]\n")
        self.assertEqual(_yaml.dump({"b": 1, 2: "a"}), "b: 1\n2: a\n")  # keys that cannot be sorted keep their order
        loop = {}
        loop["self"] = loop
        with self.assertRaisesRegex(ValueError, "contains itself"):
            _yaml.dump(loop)

    def test_text_is_utf8_and_must_be_a_string(self):
        with runlog.start_run() as run:
            runlog.log_text("héllo\n<h1>x</h1>", "pages/index.html")
            with self.assertRaisesRegex(TypeError, "text must be a str, not bytes"):
                runlog.log_text(b"bytes", "a.txt")
            with self.assertRaisesRegex(ValueError, "artifact_file"):
                runlog.log_text("x", "")
        self.assertEqual(self.stored(run, "pages/index.html"), "héllo\n<h1>x</h1>".encode("utf-8"))
        self.assertEqual(sorted(self.artifacts(run)), ["pages/index.html"])

    def test_log_figure_refuses_what_is_no_figure(self):
        with runlog.start_run():
            with self.assertRaisesRegex(TypeError, "a matplotlib Figure or a plotly Figure, not dict"):
                runlog.log_figure({}, "f.png")

    def test_plotly_figures_are_written_as_mlflow_writes_them(self):
        # plotly is not installed for the tests: a stand-in module with plotly's two writers, called
        # the way plotly's are (write_html writes str to a file object, write_image bytes).
        calls = []

        class Figure:
            def write_html(self, file, **options):
                calls.append(("html", options))
                file.write("<html>é %s</html>" % sorted(options.items()))

            def write_image(self, file, **options):
                calls.append(("image", options))
                file.write(b"IMAGE:" + options["format"].encode())

        plotly = types.ModuleType("plotly")
        graph_objects = types.ModuleType("plotly.graph_objects")
        graph_objects.Figure = Figure
        plotly.graph_objects = graph_objects
        with mock.patch.dict(sys.modules, {"plotly": plotly, "plotly.graph_objects": graph_objects}):
            with runlog.start_run() as run:
                runlog.log_figure(Figure(), "plots/f.html")
                runlog.log_figure(Figure(), "plots/f.html", save_kwargs={"include_plotlyjs": True})
                runlog.log_figure(Figure(), "plots/f.svg", save_kwargs={"scale": 2})
                with self.assertRaisesRegex(TypeError, "plotly figure is written as .html, .png, .jpeg"):
                    runlog.log_figure(Figure(), "plots/f.jpg")
        self.assertEqual(calls, [("html", {"include_plotlyjs": "cdn", "auto_open": False}),
                                 ("html", {"include_plotlyjs": True, "auto_open": False}),
                                 ("image", {"scale": 2, "format": "svg"})])
        self.assertEqual(self.stored(run, "plots/f.svg"), b"IMAGE:svg")
        self.assertEqual(self.stored(run, "plots/f.html").decode("utf-8"),
                         "<html>é [('auto_open', False), ('include_plotlyjs', True)]</html>")
        self.assertEqual(sorted(self.artifacts(run)), ["plots/f.html", "plots/f.svg"])


# What PyYAML 6's yaml.dump(value, indent=2, default_flow_style=False) writes for the value of
# test_yaml_is_what_pyyaml_dump_writes (test_media_libs.py checks the two agree on it and many more).
EXPECTED_YAML = """\
date: 2024-01-02
flags:
  empty: ''
  list: []
  map: {}
  none: null
  'on': true
  'yes': 'yes'
model:
  activation: relu
  dropout: 0.1
  eps: 1.0e-08
  layers:
  - 64
  - 32
name: resnet-50 (fine-tuned)
notes: 'a long note a long note a long note a long note a long note a long note a
  long note a long note a long note a long note '
special:
- 'a: b'
- '#x'
- '- y'
- it's
- "\\xE9"
- 'two

  lines'
- ' lead'
- '2024-01-02'
- '0x1F'
- '1.5'
steps:
- epochs: 3
  lr: 0.01
- - 1
  - - 2
"""


if __name__ == "__main__":
    unittest.main()
