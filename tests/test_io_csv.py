"""The CSV reader (issue 13 item 3): Arrow's reader gives the cells pandas' parser gave, row for row, on every
file it accepts, and leaves every other file to pandas' parser, whose messages locate the problem."""

from __future__ import annotations

import pytest

import mfa.io.readers as readers
from mfa.errors import ParkError

FILES = {
    "plain": b"id,name,kind\nmine,Mine,import\nplant,Plant,production\n",
    "bom and CRLF": b"\xef\xbb\xbfid,name\r\nmine,Mine\r\n",
    "no final line end": b"id,name\nmine,Mine",
    "blank line": b"id,name\nmine,Mine\n\nplant,Plant\n",
    "blank line at the end": b"id,name\nmine,Mine\n\n\n",
    "notes": b"id,name\n# a note,\n#5,Five\n#,x\n",
    "spaces around cells": b"id , name\n  mine ,\tMine  \n",
    "full-width space": "id,name\nmine,\u3000煤矿\u3000\n".encode("utf-8"),
    "quoted comma and line end": b'id,name\nmine,"Mine, north\nshaft"\n',
    "doubled quotes": b'id,name\nmine,"the ""old"" mine"\n',
    "formula neutralised by the writer": b"id,name\nmine,'=SUM(A1)\nplant,'+cmd\nyard,'plain quote\n",
    "only a header": b"id,name\n",
    "a cell of blanks": b"id,name\nmine,   \n",
    "missing values as text": b"id,value\nmine,NA\nplant,nan\n",
}
IRREGULAR = {
    "more cells than the header": b"id,name\nmine,Mine,extra\n",
    "fewer cells than the header": b"id,name\nmine\n",
    "a line of blanks": b"id,name\nmine,Mine\n   \nplant,Plant\n",
    "duplicate column": b"id,id\nmine,plant\n",
    "quoted header": b'"id","name"\nmine,Mine\n',
    "blank header": b",name\nmine,Mine\n",
    "quote not closed": b'id,name\nmine,"Mine\n',
    "quote not closed, then a line": b'id,name\nmine,"Mine\nplant,Plant\n',
    "a stray quote": b'id,name\nmi"ne,Mine\n',
    "trailing comma": b"id,name,\nmine,Mine,\n",
}


def read(path, monkeypatch, reader: str):
    """The table as read by Arrow's reader (pandas' parser refused), by pandas' parser alone, or by either
    (``"any"``, as mfa reads): the frame and the rows, or ``"refused"`` and the messages."""
    with monkeypatch.context() as m:
        if reader == "pandas":
            m.setattr(readers, "_arrow_cells", lambda payload, header: None)
        elif reader == "arrow":
            def refused(payload, file):
                raise AssertionError("pandas' parser used for a file Arrow reads")
            m.setattr(readers, "_pandas_cells", refused)
        try:
            raw = readers.read_csv_table(path, "processes")
        except ParkError as e:
            return "refused", [str(i) for i in e.issues]
    return raw.frame, list(raw.rows)


@pytest.mark.parametrize("name", sorted(FILES))
def test_arrow_reads_what_pandas_read(tmp_path, monkeypatch, name):
    path = tmp_path / "processes.csv"
    path.write_bytes(FILES[name])
    frame, rows = read(path, monkeypatch, "arrow")
    want, want_rows = read(path, monkeypatch, "pandas")
    assert list(frame.columns) == list(want.columns)
    assert frame.to_dict("list") == want.to_dict("list") and rows == want_rows
    assert list(frame.dtypes) == list(want.dtypes)


def test_cells_are_stripped_and_only_formulas_lose_their_quote(tmp_path, monkeypatch):
    path = tmp_path / "processes.csv"
    path.write_bytes(FILES["formula neutralised by the writer"])
    frame, rows = read(path, monkeypatch, "arrow")
    assert frame["name"].tolist() == ["=SUM(A1)", "+cmd", "'plain quote"] and rows == [2, 3, 4]
    path.write_bytes(FILES["notes"])
    frame, rows = read(path, monkeypatch, "arrow")
    assert frame["id"].tolist() == ["#5"] and rows == [3]


@pytest.mark.parametrize("name", sorted(IRREGULAR))
def test_irregular_files_go_to_pandas_parser(tmp_path, monkeypatch, name):
    path = tmp_path / "processes.csv"
    path.write_bytes(IRREGULAR[name])
    data = path.read_bytes()
    assert readers._arrow_cells(data, readers._csv_header(data.decode("utf-8-sig"))) is None
    got, want = read(path, monkeypatch, "any"), read(path, monkeypatch, "pandas")
    if isinstance(got[0], str):
        assert got == want
    else:
        assert got[0].to_dict("list") == want[0].to_dict("list") and got[1] == want[1]


def test_long_lines_are_found_without_reading_them():
    assert not readers._has_long_line(b"", 3)
    assert not readers._has_long_line(b"abc\nabc\nabc", 3)
    assert readers._has_long_line(b"abc\nabcd\nabc", 3)
    assert readers._has_long_line(b"abcd", 3) and not readers._has_long_line(b"ab\n\n\nabc\n", 3)
    big = b"x" * 10 + b"\n" + b"y" * 2_000 + b"\n"
    assert readers._has_long_line(big, 1_000) and not readers._has_long_line(big, 2_000)
