"""Output files never go through a link, never clobber a file loopledger did not make, and a
planted list of "what the last run wrote" cannot make a rerun delete the reader's files; a new
SQLite store is readable by its owner only.
"""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

OUTSIDE = b"the reader's own file\n"


@pytest.fixture
def store(cli, example, tmp_path):
    url = str(tmp_path / "s.db")
    assert cli("--store", url, "replay", str(example)).code == 0
    return url


@pytest.fixture
def outside(tmp_path):
    path = tmp_path / "elsewhere" / "precious.txt"
    path.parent.mkdir()
    path.write_bytes(OUTSIDE)
    return path


def _untouched(path) -> None:
    assert path.read_bytes() == OUTSIDE


def test_a_new_sqlite_store_is_private(cli, example, tmp_path):
    old = os.umask(0o022)
    try:
        assert cli("--store", str(tmp_path / "new.db"), "replay", str(example)).code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.db").stat().st_mode) == 0o600


@pytest.mark.parametrize("name", ["report.md", "audit.json", "loop.svg", "verify.json"])
def test_report_refuses_a_planted_link_before_writing_anything(cli, store, tmp_path, outside, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(outside)
    ran = cli("--store", store, "report", "--out", str(out))
    assert ran.code == 2 and "symbolic link" in ran.err and "Traceback" not in ran.err, ran.err
    _untouched(outside)
    assert sorted(p.name for p in out.iterdir()) == [name]  # nothing else was written


def test_report_refuses_to_overwrite_a_file_it_did_not_make(cli, store, tmp_path, outside):
    out = outside.parent
    mine = out / "audit.json"
    mine.write_bytes(OUTSIDE)
    ran = cli("--store", store, "report", "--out", str(out))
    assert ran.code == 2 and "already exists" in ran.err, ran.err
    _untouched(mine)


def test_a_rerun_replaces_its_own_files_and_only_those(cli, store, tmp_path, outside):
    out = outside.parent
    assert cli("--store", store, "report", "--out", str(out)).code == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"report.md", "audit.json", "verify.json", ".loopledger-outputs"} <= set(first)
    ran = cli("--store", store, "report", "--out", str(out))
    assert ran.code == 0, ran.err
    assert {p.name: p.read_bytes() for p in out.iterdir()}.keys() == first.keys()
    _untouched(outside)


def test_a_planted_listing_cannot_delete_the_readers_files(cli, store, tmp_path, outside):
    out = outside.parent
    sha = hashlib.sha256(OUTSIDE).hexdigest()
    edited = out / "report.md"
    edited.write_bytes(b"my notes on the report\n")
    (out / ".loopledger-outputs").write_text(
        f"{sha}  precious.txt\n{sha}  report.md\n{sha}  ../escape.txt\n", encoding="utf-8"
    )
    ran = cli("--store", store, "report", "--out", str(out))
    # The listed file under a name report never writes survives, hash or no hash; the listed
    # report.md whose content is not what the listing says is someone's file: refused.
    _untouched(outside)
    assert ran.code == 2 and "report.md" in ran.err and "already exists" in ran.err, ran.err
    assert edited.read_bytes() == b"my notes on the report\n"


def test_a_file_edited_after_the_run_is_not_removed_by_the_next(cli, store, tmp_path):
    out = tmp_path / "out"
    assert cli("--store", store, "report", "--out", str(out)).code == 0
    (out / "verify.json").write_text("{}\n", encoding="utf-8")
    ran = cli("--store", store, "report", "--out", str(out))
    assert ran.code == 2 and "verify.json" in ran.err, ran.err
    assert (out / "verify.json").read_text(encoding="utf-8") == "{}\n"


def test_graph_replaces_a_file_but_never_writes_through_a_link(cli, store, tmp_path, outside):
    picture = tmp_path / "loop.svg"
    picture.write_bytes(b"old picture")
    assert cli("--store", store, "graph", "--out", str(picture)).code == 0
    assert picture.read_bytes().startswith(b"<?xml")
    link = tmp_path / "link.svg"
    link.symlink_to(outside)
    ran = cli("--store", store, "graph", "--out", str(link))
    assert ran.code == 2 and "symbolic link" in ran.err, ran.err
    _untouched(outside)
    dangling = tmp_path / "dangling.svg"
    dangling.symlink_to(tmp_path / "elsewhere" / "created.svg")
    assert cli("--store", store, "graph", "--out", str(dangling)).code == 2
    assert not (tmp_path / "elsewhere" / "created.svg").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_demo_refuses_a_planted_link_in_its_folder(cli, tmp_path, outside):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "loop.png").symlink_to(outside)
    ran = cli("demo", "--out", str(out))
    assert ran.code == 2 and "symbolic link" in ran.err, ran.err
    _untouched(outside)


def test_report_out_file_is_written_by_the_folder_and_refuses_a_link(cli, store, tmp_path, outside):
    """``report --out FILE`` (main's named report file) goes through the same output folder."""
    out = tmp_path / "named"
    out.mkdir()
    (out / "mine.md").symlink_to(outside)
    ran = cli("--store", store, "report", "--out", str(out / "mine.md"))
    assert ran.code == 2 and "Traceback" not in ran.err, ran.err  # the option itself refuses it
    _untouched(outside)
    assert sorted(p.name for p in out.iterdir()) == ["mine.md"]
    (out / "mine.md").unlink()
    ran = cli("--store", store, "report", "--out", str(out / "mine.md"))
    assert ran.code == 0, ran.err
    assert (out / "mine.md").read_text("utf-8").startswith("#")
    listed = (out / ".loopledger-outputs").read_text("utf-8")
    assert "  mine.md\n" in listed  # the next run may replace it, as its own


def test_report_out_file_with_a_name_that_is_not_plain_is_refused(cli, store, tmp_path):
    out = tmp_path / "named"
    ran = cli("--store", store, "report", "--out", str(out / "my report.md"))
    assert ran.code == 2 and "not a plain file name" in ran.err, ran.err
    assert "Traceback" not in ran.err
    assert not out.exists() or not any(p.name != ".loopledger-outputs" for p in out.iterdir())
