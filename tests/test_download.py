"""Downloading real trip files, against a local HTTP server: nothing here touches the internet."""

import functools
import hashlib
import http.server
import io
import threading
import zipfile

import pytest

from tutorial_helpers import bikes

ZIP = "201901-bluebikes-tripdata.zip"
CSV = "201901-bluebikes-tripdata.csv"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """A folder served over HTTP on 127.0.0.1, and its URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # shutdown() waits for the poll: 0.5 s by default, after every test
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def month_csv(tmp_path_factory):
    """The bytes of a small generated January, which has the real files' columns."""
    folder = tmp_path_factory.mktemp("synthetic")
    return bikes.generate(folder, scale=0.002)[0].read_bytes()


def zipped(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def assert_nothing_kept(folder):
    assert not (folder / CSV).exists()
    assert not list(folder.glob(".*.tmp"))


def test_a_verified_download_is_kept_and_recorded(served, tmp_path, month_csv):
    folder, url = served
    data = zipped({CSV: month_csv, f"__MACOSX/._{CSV}": b"resource fork"})
    (folder / ZIP).write_bytes(data)

    paths = bikes.download(["201901"], tmp_path / "real", base_url=url, checksums={ZIP: sha256(data)})

    assert paths == [tmp_path / "real" / CSV]
    assert paths[0].read_bytes() == month_csv
    assert bikes.trip_files(tmp_path / "real") == paths
    bikes.verify(tmp_path / "real")
    assert not list((tmp_path / "real").glob(".*.tmp"))
    # Lessons size copies of the data at hand from its scale: for real data, the synthetic one with as many trips.
    held = bikes.info(tmp_path / "real")
    assert held["kind"] == "bluebikes" and held["seed"] is None
    assert held["trips"] > 0 and held["scale"] == held["trips"] / 1_000_000


def test_downloading_again_replaces_the_month(served, tmp_path, month_csv):
    folder, url = served
    (folder / ZIP).write_bytes(zipped({CSV: month_csv}))
    bikes.download("201901", tmp_path, base_url=url)

    (folder / ZIP).write_bytes(zipped({"inner/name.csv": month_csv + month_csv[-200:]}))
    bikes.download("201901", tmp_path, base_url=url)

    assert bikes.trip_files(tmp_path) == [tmp_path / CSV]
    bikes.verify(tmp_path)


def test_the_default_folder_is_next_to_the_synthetic_data(served, tmp_path, month_csv, monkeypatch):
    folder, url = served
    (folder / ZIP).write_bytes(zipped({CSV: month_csv}))
    monkeypatch.setenv("DASK_COURSE_DATA", str(tmp_path))

    assert bikes.download([201901], base_url=url) == [tmp_path / "real" / CSV]


def test_a_wrong_checksum_keeps_nothing(served, tmp_path, month_csv):
    folder, url = served
    (folder / ZIP).write_bytes(zipped({CSV: month_csv}))

    with pytest.raises(bikes.DataError, match="failed verification"):
        bikes.download(["201901"], tmp_path, base_url=url, checksums={ZIP: "0" * 64})
    assert_nothing_kept(tmp_path)


@pytest.mark.parametrize("damage", ["not a zip", "flipped byte"])
def test_a_corrupt_zip_keeps_nothing(served, tmp_path, month_csv, damage):
    folder, url = served
    data = bytearray(zipped({CSV: month_csv}))
    if damage == "not a zip":
        data = data[: len(data) // 2]
    else:
        data[100] ^= 0xFF  # inside the compressed CSV: the CRC no longer matches
    (folder / ZIP).write_bytes(bytes(data))

    with pytest.raises(bikes.DataError) as error:
        bikes.download(["201901"], tmp_path, base_url=url)
    assert "\n" not in str(error.value)
    assert_nothing_kept(tmp_path)


def test_a_different_header_keeps_nothing(served, tmp_path):
    folder, url = served
    newer_format = b"ride_id,rideable_type,started_at,ended_at\nA1,classic_bike,2021-03-01,2021-03-01\n"
    (folder / ZIP).write_bytes(zipped({CSV: newer_format}))

    with pytest.raises(bikes.DataError, match="columns"):
        bikes.download(["201901"], tmp_path, base_url=url)
    assert_nothing_kept(tmp_path)


def test_a_missing_file_is_one_line(served, tmp_path):
    _, url = served

    with pytest.raises(bikes.DataError) as error:
        bikes.download(["201901"], tmp_path, base_url=url)

    message = str(error.value)
    assert "\n" not in message and "404" in message and f"{url}{ZIP}" in message
    assert_nothing_kept(tmp_path)


def test_an_unreachable_server_is_one_line(tmp_path):
    with pytest.raises(bikes.DataError, match="check your connection"):
        bikes.download(["201901"], tmp_path, base_url="http://127.0.0.1:9")
    assert_nothing_kept(tmp_path)
