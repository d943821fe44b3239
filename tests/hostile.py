"""The hostile-input corpus of issue 11: every case of the campaign, generated (large files are made here,
not stored), and a driver that runs each case's command line in a forked child of one warm interpreter,
measuring its exit code, stderr, wall time and peak memory, and that no file outside its output changed.

    python -m tests.hostile DIR     # build the corpus in DIR, run it, print one JSON line per case
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# each case is the mfa command's own process, which picks Arrow's memory pool before pandas is imported
# (mfa/cli/__init__.py); this runner imports pandas first, through the builders of tests/conftest.py
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
from tests.conftest import FLOWS, MATERIALS, PROCESSES, write_park  # noqa: E402

MAX_SECONDS = 5.0
MAX_MB = 500
MAX_STDERR = 20_000


def case(item: int, name: str, argv: list[str], code: int | tuple = 2, where: tuple[str, ...] = (),
         outputs: tuple[str, ...] = (), stdout: tuple[str, ...] = ()) -> dict:
    """``where``: substrings stderr must hold (file, row/path, column, message); ``outputs``: paths the
    command may create or change; exit ``code`` (or one of several)."""
    return {"item": item, "name": name, "argv": argv, "code": list(code) if isinstance(code, tuple) else [code],
            "where": list(where), "outputs": list(outputs), "stdout": list(stdout)}


def _yaml_park(flows: str, park: str = "park:\n  name: x\n") -> str:
    return (park + "processes:\n- {id: mine, name: Mine, kind: import}\n- {id: plant, name: Plant, kind: production}\n"
            "- {id: dump, name: Dump, kind: landfill}\nflows:\n" + flows)


def _xlsx(path: Path, sheets: dict[str, list[list]], *, dimension_cell: str | None = None,
          text_cells: bool = False) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        if text_cells:  # '=…' typed as text (as a spreadsheet stores it), not as a formula
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"
        if dimension_cell and name == "flows":
            ws[dimension_cell] = 1
    wb.save(path)


def _park_sheets(flows_rows: list[list] | None = None) -> dict[str, list[list]]:
    procs = [r.split(",") for r in PROCESSES.strip().splitlines()]
    flows = flows_rows or [r.split(",") for r in FLOWS.strip().splitlines()]
    mats = [r.split(",") for r in MATERIALS.strip().splitlines()]
    return {"processes": procs, "flows": flows, "materials": mats}


def build(root: Path) -> list[dict]:
    """Write every input of the corpus under ``root`` and return the cases (paths relative to ``root``)."""
    root.mkdir(parents=True, exist_ok=True)
    cases: list[dict] = []
    write_park(root / "base")
    flows_with = lambda old, new: FLOWS.replace(old, new, 1)  # noqa: E731

    # 1. data loss: a folder holding other files, and output = input
    victim = root / "victim"
    (victim / "chapters").mkdir(parents=True)
    (victim / "thesis.docx").write_bytes(b"PK\x03\x04 not really a thesis")
    (victim / "chapters" / "one.txt").write_text("chapter one")
    cases.append(case(1, "convert over a folder of other files", ["convert", "base", "victim"],
                      where=("victim", "did not write", "--force")))
    own = write_park(root / "own")
    (own / "README.md").write_text("my notes")
    cases.append(case(1, "convert a folder onto itself", ["convert", "own", "own"], where=("own", "being read")))
    (root / "single.yaml").write_text(_yaml_park("- {source: mine, target: plant, material: raw_coal, value: 5}\n"))
    cases.append(case(1, "convert a YAML file onto itself", ["convert", "single.yaml", "single.yaml"],
                      where=("single.yaml", "being read")))
    cases.append(case(1, "reconcile -o over a folder of other files", ["reconcile", "base", "-o", "victim"],
                      where=("victim", "did not write")))
    cases.append(case(1, "convert into a new folder", ["convert", "base", "fresh"], code=0, outputs=("fresh",)))

    # 2. silent wrong results: overflow after unit conversion
    write_park(root / "overflow", flows=flows_with("100,t/a,5%", "1e305,Mt/a,"))
    cases.append(case(2, "1e305 Mt/a in CSV", ["check", "overflow"],
                      where=("overflow/flows.csv, row 2, column 'value'", "out of range")))
    (root / "overflow.yaml").write_text(_yaml_park(
        "- {source: mine, target: plant, material: raw_coal, value: 1e305, unit: Mt/a}\n"))
    cases.append(case(2, "1e305 Mt/a in YAML", ["check", "overflow.yaml"], where=("flows[0].value", "out of range")))
    write_park(root / "stock_overflow", stocks="process,material,opening,closing,unit\nyard,fly_ash,1e300,1,亿t\n")
    cases.append(case(2, "a stock overflowing", ["check", "stock_overflow"],
                      where=("stocks.csv, row 2, column 'opening'", "out of range")))

    write_park(root / "inf_value", flows=flows_with("100,t/a,5%", "1e400,t/a,"))
    cases.append(case(2, "1e400 in CSV", ["check", "inf_value"], where=("row 2, column 'value'", "infinite")))
    write_park(root / "pct_overflow", flows=flows_with("100,t/a,5%", "1e12,Mt/a,10%"))
    cases.append(case(2, "1e12 Mt/a with sigma 10%", ["check", "pct_overflow"],
                      where=("row 2, column 'value'", "row 2, column 'sigma'", "out of range")))

    # 3. silent row loss: '#' in an id is data, an Excel error value is refused, '# ' is a note
    write_park(root / "hash_ids", processes=PROCESSES + "#7,Seven,production\n",
               flows="id," + FLOWS.splitlines()[0] + "\n" + "\n".join(
                   (f"#{i + 5}," if i == 0 else ",") + r for i, r in enumerate(FLOWS.strip().splitlines()[1:]))
               + "\n# a note row\n,mine,#7,raw_coal,1,t/a,\n,#7,dump,coal_gangue,1,t/a,\n")
    cases.append(case(3, "ids starting with '#'", ["check", "--json", "hash_ids"], code=(0, 1),
                      stdout=('"flows": 7', '"processes": 6')))
    write_park(root / "ref_error", flows="id," + FLOWS.splitlines()[0] + "\n#REF!," + FLOWS.splitlines()[1] + "\n")
    cases.append(case(3, "#REF! as a flow id", ["check", "ref_error"],
                      where=("ref_error/flows.csv, row 2, column 'id'", "Excel error value")))
    sheets = _park_sheets()
    sheets["processes"].append(["#N/A", "Broken", "production"])
    _xlsx(root / "errors.xlsx", sheets)
    cases.append(case(3, "#N/A in a workbook", ["check", "errors.xlsx"],
                      where=("[sheet processes], row 7, column 'id'", "Excel error value")))

    write_park(root / "div0", flows=flows_with("100,t/a,5%", "#DIV/0!,t/a,"))
    cases.append(case(3, "#DIV/0! as a value", ["check", "div0"], where=("row 2, column 'value'", "Excel error value")))

    # 4. hangs and memory blow-ups from a few bytes
    write_park(root / "power_unit", flows=flows_with("t/a,5%", "t/a*10**10**10,5%"))
    cases.append(case(4, "power tower unit", ["check", "power_unit"],
                      where=("power_unit/flows.csv, row 2, column 'unit'", "unknown unit")))
    write_park(root / "long_unit", flows=flows_with("t/a,5%", "t" * 100_000 + ",5%"))
    cases.append(case(4, "100 KB unit", ["check", "long_unit"], where=("row 2, column 'unit'", "100,000 characters")))
    bomb = "".join(f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]\n" for c, p in zip("bcdefghi", "abcdefgh"))
    (root / "alias_bomb.yaml").write_text("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + bomb
                                          + _yaml_park("- {source: mine, target: plant, material: raw_coal, value: 1, note: *i}\n"))
    cases.append(case(4, "YAML alias bomb", ["check", "alias_bomb.yaml"], where=("alias_bomb.yaml", "aliases")))
    (root / "alias_name.yaml").write_text(
        "x: &x [a, a, a, a, a, a, a, a, a, a]\n"
        + _yaml_park("- {source: mine, target: plant, material: raw_coal, value: 1}\n",
                     park="park:\n  name: *x\n"))
    cases.append(case(4, "alias in park.name", ["check", "alias_name.yaml"], where=("line 3", "aliases")))
    _xlsx(root / "sst.xlsx", _park_sheets())
    _inflate_member(root / "sst.xlsx", "xl/sharedStrings.xml", 40 << 20)
    cases.append(case(4, "shared-strings bomb", ["check", "sst.xlsx"], where=("sst.xlsx", "zip bomb")))
    _xlsx(root / "far_cell.xlsx", _park_sheets(), dimension_cell="XFD1048576")
    cases.append(case(4, "a cell at XFD1048576", ["check", "far_cell.xlsx"],
                      where=("far_cell.xlsx", "A1:XFD1048576", "delete the unused")))
    write_park(root / "big_cell", processes=PROCESSES.replace("Coal mine", "x" * 50_000_000))
    cases.append(case(4, "50 MB cell", ["check", "big_cell"],
                      where=("big_cell/processes.csv, row 2, column 'name'", "a line of 50,000,012 characters",
                             "1 problem in the input")))

    # 5. slow error path: 10⁶ rows naming 1,000 unknown processes; 10⁶ distinct bad numbers and unknown
    # materials. Identical problems are one issue per value that lists every row.
    n = 1_000_000
    _write_lines(root / "many_unknown", "source,target,material,value", (f"src{i % 1000},plant,raw_coal,1\n"
                                                                        for i in range(n)))
    cases.append(case(5, "10⁶ rows, 10³ unknown processes", ["check", "many_unknown"],
                      where=("many_unknown/flows.csv, row 2 (and 999 more: rows 1002, 2002", "column 'source'",
                             "unknown process", "and 500 more")))
    _write_lines(root / "many_bad", "source,target,material,value", (f"mine,plant,mat{i % 1000},x{i}\n"
                                                                    for i in range(n)))
    cases.append(case(5, "10⁶ rows, distinct bad numbers, 10³ unknown materials", ["check", "many_bad"],
                      where=("many_bad/flows.csv, row 2 (and 999 more: rows 1002", "column 'material'",
                             "unknown material", "2001 problems")))

    # 6. internal errors on user errors
    write_park(root / "extra_field", flows=flows_with("100,t/a,5%", "100,t/a,5%,surplus"))
    cases.append(case(6, "a row with an extra field", ["check", "extra_field"],
                      where=("extra_field/flows.csv, row 2", "more cells than the header")))
    write_park(root / "open_quote", flows=flows_with("mine,plant", '"mine,plant'))
    cases.append(case(6, "an unclosed quote", ["check", "open_quote"], where=("open_quote/flows.csv", "quote")))
    write_park(root / "year_frac", flows="source,target,material,value,year\nmine,plant,raw_coal,1,2015.5\n")
    cases.append(case(6, "year 2015.5", ["check", "year_frac"], where=("row 2, column 'year'", "not a whole year")))
    write_park(root / "year_huge", flows="source,target,material,value,year\nmine,plant,raw_coal,1,1e30\n")
    cases.append(case(6, "year 1e30", ["check", "year_huge"], where=("row 2, column 'year'", "1900–2200")))
    (root / "deep.yaml").write_text("park: " + "[" * 100_000 + "]" * 100_000 + "\n")
    cases.append(case(6, "YAML nested 100,000 deep", ["check", "deep.yaml"], where=("deep.yaml", "nested more than")))
    (root / "big_int.yaml").write_text(_yaml_park(f"- {{source: mine, target: plant, material: raw_coal, value: {'9' * 4400}}}\n"))
    cases.append(case(6, "an integer of 4,400 digits", ["check", "big_int.yaml"], where=("line 8", "digits")))
    (root / "int_key.yaml").write_text(_yaml_park("- {source: mine, target: plant, material: raw_coal, value: 1}\n",
                                                  park="park: {1: 2}\n"))
    cases.append(case(6, "park: {1: 2}", ["check", "int_key.yaml"], where=("park.1", "unknown park setting '1'")))
    dup = _park_sheets()
    dup["flows"][0] = dup["flows"][0][:-1] + ["value"]
    _xlsx(root / "dup_header.xlsx", dup)
    cases.append(case(6, "xlsx duplicate header", ["check", "dup_header.xlsx"],
                      where=("[sheet flows], row 1, column 'value'", "duplicate column")))
    write_park(root / "dup_header_csv", flows=FLOWS.replace("sigma", "value", 1))
    cases.append(case(6, "CSV duplicate header", ["check", "dup_header_csv"],
                      where=("flows.csv, row 1, column 'value'", "duplicate column")))
    zero = FLOWS
    for v in ("100", "30", "20", "15", "50"):
        zero = zero.replace(f",{v},", ",0,", 1)
    write_park(root / "all_zero", flows=zero.replace("5%", "").replace(",2\n", ",\n"))
    cases.append(case(6, "resilience, all flows zero", ["resilience", "all_zero"], code=0))
    write_park(root / "all_unknown", flows="source,target,material,value\nmine,plant,raw_coal,\nplant,dump,coal_gangue,\n")
    cases.append(case(6, "resilience, all flows unknown", ["resilience", "all_unknown"], where=("no flow", "known value")))
    write_park(root / "unknown_cycle", processes="id,name,kind\nmine,Mine,import\na,A,production\nb,B,production\n"
               "dump,Dump,landfill\n", flows="source,target,material,value\na,b,raw_coal,\nb,a,raw_coal,\n"
               "mine,dump,raw_coal,5\n")
    cases.append(case(6, "resilience, an unknown closed cycle", ["resilience", "unknown_cycle"], code=(0, 2)))
    write_park(root / "only_boundary", processes="id,name,kind\nmine,Mine,import\ndump,Dump,landfill\n",
               flows="source,target,material,value\nmine,dump,raw_coal,5\n")
    cases.append(case(6, "resilience, only boundary processes", ["resilience", "only_boundary"],
                      where=("no internal process",)))
    cases.append(case(6, "sankey --scale 1e-300", ["sankey", "base", "-o", "s.png", "--scale", "1e-300"],
                      where=("--scale", "mm wide")))
    cases.append(case(6, "sankey --scale nan", ["sankey", "base", "-o", "s.png", "--scale", "nan"],
                      where=("--scale",)))

    # 8. CSV injection: neutralised in CSV outputs (checked after the run by the test)
    write_park(root / "formulas", processes=PROCESSES.replace("Coal mine", "\"=cmd|' /C calc'!A0\"")
               .replace("Power plant", "\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"").replace("Landfill", "+cmd")
               .replace("Ash yard", "@SUM(A1)").replace("Market", "-2+3"))
    cases.append(case(8, "formula-leading names to CSV", ["convert", "formulas", "formulas_out"], code=0,
                      outputs=("formulas_out",)))
    fsheets = _park_sheets()
    fsheets["processes"][1][1] = "=cmd|' /C calc'!A0"
    _xlsx(root / "formulas.xlsx", fsheets, text_cells=True)
    cases.append(case(8, "formula-leading names from xlsx", ["convert", "formulas.xlsx", "formulas_xlsx_out"],
                      code=(0, 2), outputs=("formulas_xlsx_out",)))

    # 9. checks that could be switched off
    write_park(root / "tol_inf", park="key,value\nname,x\nrel_tol,inf\n")
    cases.append(case(9, "rel_tol inf in park.csv", ["check", "tol_inf"], where=("park.csv, row 3, column 'value'",)))
    (root / "tol_nan.yaml").write_text(_yaml_park("- {source: mine, target: plant, material: raw_coal, value: 1}\n",
                                                  park="park:\n  rel_tol: .nan\n"))
    cases.append(case(9, "rel_tol .nan in YAML", ["check", "tol_nan.yaml"], where=("park.rel_tol",)))
    for flag, value in (("--rel-tol", "inf"), ("--rel-tol", "nan"), ("--rel-tol", "-1"), ("--abs-tol", "nan")):
        cases.append(case(9, f"{flag} {value}", ["check", "base", f"{flag}={value}"], where=(flag, "tolerance")))

    # 10. silent overwrite and mis-decoding
    (root / "dup_key.yaml").write_text(_yaml_park(
        "- {source: mine, target: plant, material: raw_coal, value: 700, value: 7}\n"))
    cases.append(case(10, "duplicate YAML key", ["check", "dup_key.yaml"], where=("line 8", "duplicate key 'value'")))
    (root / "dup_section.yaml").write_text(_yaml_park("- {source: mine, target: plant, material: raw_coal, value: 7}\n")
                                           + "processes:\n- {id: other, name: O, kind: import}\n")
    cases.append(case(10, "duplicated processes: section", ["check", "dup_section.yaml"],
                      where=("line 9", "duplicate key 'processes'")))
    write_park(root / "dup_setting", park="key,value\nname,x\nyear,2015\nyear,2016\n")
    cases.append(case(10, "duplicate park.csv key", ["check", "dup_setting"],
                      where=("park.csv, row 4, column 'key'", "duplicate park setting")))
    latin = write_park(root / "latin1")
    (latin / "processes.csv").write_bytes(PROCESSES.replace("Power plant", "Centrale électrique").encode("latin-1"))
    cases.append(case(10, "Latin-1 file", ["check", "--json", "latin1"], code=(0, 1),
                      stdout=("Windows-1252", "the file is not UTF-8")))
    (root / "nan.yaml").write_text(_yaml_park("- {source: mine, target: plant, material: raw_coal, value: .nan}\n"))
    cases.append(case(10, "YAML .nan value", ["check", "nan.yaml"], where=("flows[0].value", "missing-value marker")))
    write_park(root / "nan_csv", flows=flows_with("100,t/a,5%", "nan,t/a,"))
    cases.append(case(10, "CSV nan value", ["check", "nan_csv"], where=("row 2, column 'value'", "missing-value marker")))

    # 11. numerics
    write_park(root / "tiny_sigma", flows=flows_with("100,t/a,5%", "100,t/a,1e-300"))
    cases.append(case(11, "sigma 1e-300", ["reconcile", "tiny_sigma"], where=("chi2", "'mine>plant:raw_coal' (sigma 1e-300 t/a)", "1e-9")))
    write_park(root / "tc_over", flows="source,target,material,value,tc\nmine,plant,raw_coal,100,\n"
               "plant,dump,coal_gangue,,0.8\nplant,market,coal,,0.5\n")
    cases.append(case(11, "tc 0.8 + 0.5", ["reconcile", "tc_over"],
                      where=("tc_over/flows.csv, row 3, column 'tc'", "more than 1")))
    write_park(root / "negative", processes="id,name,kind\nin,In,import\np,P,production\nout,Out,export\n"
               "ld,Ld,landfill\n", flows="source,target,material,value,sigma\nin,p,raw_coal,1,0.1\n"
               "p,out,raw_coal,5,5\np,ld,coal_gangue,0,5\n")
    cases.append(case(11, "reconciled negative flow", ["reconcile", "negative"], where=("p>ld:coal_gangue", "--bounds", "negative")))

    # 12. misleading messages
    for name, value, hint in (("comma", "80,5", "decimal separator"), ("space", "1 000", "without spaces"),
                              ("nul", "5\\x00", "control character"), ("date", "2020-01-01", "looks like a date")):
        text = value.replace("\\x00", "\x00")
        write_park(root / f"value_{name}", flows=flows_with("100,t/a,5%", f'"{text}",,'))
        cases.append(case(12, f"value {value}", ["check", f"value_{name}"], where=("row 2, column 'value'", hint)))
    (root / "date.yaml").write_text(_yaml_park("- {source: mine, target: plant, material: raw_coal, value: 2020-01-01}\n"))
    cases.append(case(12, "YAML date in value", ["check", "date.yaml"], where=("flows[0].value", "looks like a date")))
    (root / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    cases.append(case(12, "password-protected workbook", ["check", "locked.xlsx"], where=("locked.xlsx", "password")))
    cases.append(case(12, "sankey into a new folder", ["sankey", "base", "-o", "newdir/deeper/s.html"], code=0,
                      outputs=("newdir",)))
    return cases


def _write_lines(folder: Path, header: str, lines) -> None:
    """A park whose flows.csv is ``header`` and ``lines`` (written in blocks: a generated 10⁶-row file)."""
    write_park(folder, flows=header + "\n")
    with open(folder / "flows.csv", "a", encoding="utf-8") as fh:
        block: list[str] = []
        for line in lines:
            block.append(line)
            if len(block) == 100_000:
                fh.write("".join(block))
                block.clear()
        fh.write("".join(block))


def _inflate_member(path: Path, member: str, size: int) -> None:
    """Replace ``member`` of a zip by ``size`` bytes of well-compressible shared strings (a zip bomb)."""
    src = zipfile.ZipFile(path)
    items = [(i, src.read(i.filename)) for i in src.infolist()]
    src.close()
    if member not in [i.filename for i, _ in items]:  # declare it, as Excel does
        items = [(i, d.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                               b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
                  if i.filename == "[Content_Types].xml" else
                  d.replace(b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.'
                            b'org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                            b"</Relationships>") if i.filename == "xl/_rels/workbook.xml.rels" else d)
                 for i, d in items]
        items.append((zipfile.ZipInfo(member), b""))
    unit = b"<si><t>a</t></si>"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename == member:
                with dst.open(member, "w", force_zip64=True) as fh:
                    fh.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                             b'spreadsheetml/2006/main">')
                    block = unit * (1 << 16)
                    for _ in range(size // len(block)):
                        fh.write(block)
                    fh.write(b"</sst>")
            else:
                dst.writestr(info, data)


# -- driver ---------------------------------------------------------------------------------------------
def _snapshot(root: Path, skip: list[str]) -> dict[str, tuple]:
    out = {}
    skip_paths = [str(root / s) for s in skip]
    for dirpath, dirnames, filenames in os.walk(root):
        if any(dirpath == s or dirpath.startswith(s + os.sep) for s in skip_paths):
            dirnames[:] = []
            continue
        for name in filenames + dirnames:
            p = os.path.join(dirpath, name)
            if any(p == s or p.startswith(s + os.sep) for s in skip_paths):
                continue
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def run(root: Path, cases: list[dict]) -> list[dict]:
    """Run each case in a forked child of this (warm) interpreter, one after another."""
    import mfa.cli
    import mfa.io.readers  # noqa: F401 - warm imports, so that a case's time is its own work
    import charset_normalizer  # noqa: F401
    import openpyxl  # noqa: F401
    import yaml  # noqa: F401

    results = []
    for i, c in enumerate(cases):
        before = _snapshot(root, c["outputs"])
        out, err = root / f".case{i}.out", root / f".case{i}.err"
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: one mfa command, like the console script
            try:
                # a runaway case fails at 2 GB of address space beyond the warm interpreter's, never the machine
                with open("/proc/self/status") as fh:
                    vm = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
                resource.setrlimit(resource.RLIMIT_AS, (vm + (2 << 30), vm + (2 << 30)))
                os.chdir(root)
                fo, fe = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(fo, 1)
                os.dup2(fe, 2)
                sys.stdout = os.fdopen(1, "w", closefd=False)
                sys.stderr = os.fdopen(2, "w", closefd=False)
                code = mfa.cli.main(c["argv"])
            except SystemExit as e:  # argparse's usage errors
                code = e.code if isinstance(e.code, int) else 2
            except BaseException:
                code = 99
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
        status = usage = None
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - t0 > 12 * MAX_SECONDS:  # a hang: stop it (its CPU time fails the case)
                os.kill(pid, 9)
                _, status, usage = os.wait4(pid, 0)
                break
            time.sleep(0.005)
        seconds = time.monotonic() - t0
        after = _snapshot(root, c["outputs"])
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)
                         and not k.startswith(".case"))
        stderr = err.read_bytes()
        # a case's time is the CPU its process used: what the input costs, whatever else the machine runs
        # (on an idle machine it is the wall time; the wall time is kept beside it)
        cpu = usage.ru_utime + usage.ru_stime
        results.append({**c, "exit": os.waitstatus_to_exitcode(status), "seconds": round(cpu, 3),
                        "wall_seconds": round(seconds, 3),
                        "max_mb": round(usage.ru_maxrss / 1024, 1), "stderr_bytes": len(stderr),
                        "stderr": (stderr[:4000] + b"\n" + stderr[-1000:]).decode("utf-8", "replace"),
                        "stdout_text": out.read_bytes()[:4000].decode("utf-8", "replace"), "changed": changed})
        out.unlink()
        err.unlink()
    return results


if __name__ == "__main__":
    target = Path(sys.argv[1])
    # the corpus is built in a child process: writing its 10⁶-row files leaves memory resident here that each
    # forked case would inherit and count in its own peak (ru_maxrss), a figure that then moved with the
    # allocator's state rather than with what the input costs
    listing = target / ".cases.json"
    pid = os.fork()
    if pid == 0:
        try:
            listing.write_text(json.dumps(build(target)), encoding="utf-8")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    cases = json.loads(listing.read_text(encoding="utf-8"))
    listing.unlink()
    for r in run(target, cases):
        print(json.dumps(r, ensure_ascii=False))
