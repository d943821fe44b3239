"""Input errors in Chinese for the Chinese park manager (`--lang zh`): every located issue of the readers and
table checks carries a code, mfa/i18n.py says each code in Chinese, and `mfa check` / `mfa report` print
them in Chinese with `--lang zh` — same exit code (2), same issues, same `--json` document."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import string
from pathlib import Path

import pytest
from openpyxl import load_workbook

import mfa
from mfa.cli import main
from mfa.errors import Issue, Message, ParkError, suggest
from mfa.i18n import ISSUES_ZH, MESSAGES_ZH, TERMS_ZH, say_zh, where_zh
from tests.conftest import run_cli, write_park
from tests.test_chinese_input import KINDS_ZH

ROOT = Path(mfa.__file__).parent
# the modules that validate a user's files: their every located issue must have a code with Chinese
VALIDATING = ("validation.py", "errors.py", "units.py", "park_info.py", "io/readers.py", "io/frames.py",
              "io/periods.py", "io/__init__.py", "io/limits.py", "io/years.py", "projection.py", "substance.py",
              "coupling_rules.py", "generation.py")
# the modules of the readers themselves: not one located issue without a code (io/years.py, projection.py and
# substance.py also hold messages of their engines' results, a scenario's new plants and the shipped catalogue)
READERS = ("validation.py", "errors.py", "units.py", "park_info.py", "io/readers.py", "io/frames.py",
           "io/periods.py", "io/__init__.py", "io/limits.py", "generation.py", "coupling_rules.py")


def _tree(name: str) -> ast.AST:
    return ast.parse((ROOT / name).read_text(encoding="utf-8"))


def _codes(name: str):
    """(code, parameter names) of every ``Message(text, code, **params)`` in a module; an ``a if c else b``
    code gives both."""
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Message" and len(node.args) >= 2:
            code = node.args[1]
            codes = ([code.body.value, code.orelse.value] if isinstance(code, ast.IfExp)
                     else [code.value] if isinstance(code, ast.Constant) else [])
            for c in codes:
                yield c, {k.arg for k in node.keywords}


def _plain_messages(name: str, tree: ast.AST | None = None) -> list[str]:
    """Messages and suggestions of located issues written as a bare string (no code): the sentence of an
    ``Issue(file, message)``, of ``checker.add(mask, column, message)``, ``raw.issue(i, column, message, value,
    suggestion)``, ``grouped_issues(raw, mask, column, message, values, suggestion)``, a ``suggestion=`` and a
    Column's messages."""
    plain = []

    def text(node):
        return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)
                                                   and node.value != "")

    for node in ast.walk(tree or _tree(name)):
        if not isinstance(node, ast.Call):
            continue
        fn = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        at = {"Issue": (1,), "add": (2,), "issue": (2, 4), "grouped_issues": (3, 5)}.get(fn, ())
        if fn == "add" and len(node.args) < 3:  # set.add(x)
            at = ()
        args = [node.args[i] for i in at if i < len(node.args)]
        args += [k.value for k in node.keywords
                 if k.arg in ("suggestion", "message", "blank_message", "range_message", "blank_suggestion")]
        plain += [f"{name}:{node.lineno}" for a in args if text(a)]
    return plain


def test_every_validation_code_has_chinese_with_the_parameters_it_names():
    seen = {}
    for name in VALIDATING:
        codes = list(_codes(name))
        assert codes, f"the scan finds no message code in {name}"
        for code, params in codes:
            assert code in ISSUES_ZH or code in MESSAGES_ZH, f"{name}: {code!r} has no Chinese in mfa.i18n"
            fields = {f for _t, f, _s, _c in string.Formatter().parse(MESSAGES_ZH[code]) if f}
            assert fields <= params, f"{name}: {code}'s Chinese names {fields - params}, which it does not give"
            seen[code] = name
    assert {"input.not_what", "input.unknown_choice", "hint.did_you_mean", "read.empty_file", "units.unknown",
            "park_info.bound", "periods.no_flow"} <= set(seen)
    # every Chinese sentence of an input error belongs to a code the sources raise (none left over)
    assert set(ISSUES_ZH) <= set(seen)


def test_every_located_issue_of_the_validating_modules_has_a_code():
    for name in READERS:
        assert _plain_messages(name) == [], "messages without a code"
    # the scan sees a bare message where there is one, and none in a coded one
    bare = ast.parse('c.add(mask, "value", "not a number")\nIssue(f, Message("empty file", "read.empty_file"), '
                     'suggestion="x")\nraw.issue(i, "year", f"bad {y}", v, "hint")\nseen.add(x)')
    assert _plain_messages("x.py", bare) == ["x.py:1", "x.py:2", "x.py:3", "x.py:3"]


def test_an_issue_says_its_location_message_value_and_suggestion_in_chinese():
    i = Issue("processes.csv", Message("unknown process kind", "input.unknown_choice", what="process kind"),
              row=3, column="kind", value="prodction", suggestion=suggest("prodction", ["production", "collection"]))
    assert i.text("zh") == ("processes.csv，第 3 行，“kind”列：未知的过程类型（值：'prodction'）"
                            "——是否应为 'production' 或 'collection'？")
    # English: exactly as before, the code changes nothing
    assert i.text("en") == str(i) == ("processes.csv, row 3, column 'kind': unknown process kind (value: "
                                      "'prodction') — did you mean 'production' or 'collection'?")
    assert i.code == "input.unknown_choice" and i.to_dict()["message"] == "unknown process kind"
    # grouped rows, a workbook's sheet, a YAML path
    g = Issue("b.xlsx [sheet flows]", Message("not a number", "input.not_what", what="a number"), row=2,
              column="value", value="x", more=tuple(range(3, 13)))
    assert g.text("zh") == ("b.xlsx，工作表“flows”，第 2 行（另有 10 处：第 3、4、5、6、7、8、9、10、… 行），“value”列："
                            "不是有效的数字（值：'x'）")
    y = Issue("p.yaml", Message("not a number", "input.not_what", what="a coordinate"), path="processes[1].x")
    assert y.text("zh") == "p.yaml，processes[1].x：不是有效的坐标"
    # a message with no Chinese (or no code) stays as written
    assert Issue("f.csv", "something new", row=2).text("zh") == "f.csv，第 2 行：something new"
    assert say_zh(Message("x", "no.such_code")) == "x"
    # a nested message (the hint inside a hint, the unit error inside the park's unit) is said in Chinese too
    unit = Message("unknown unit 'tpa'", "units.unknown", unit="'tpa'")
    assert say_zh(Message(f"park default unit: {unit}", "park.default_unit", error=unit)) == "园区默认单位：未知的单位 'tpa'"
    assert where_zh("", None, None, "unit") == "“unit”列"


def _whats():
    """Every literal ``what`` of a check in the package: ``numbers(col, what=…)``, ``choice(col, allowed, what)``,
    ``ids(col, what)`` (an f-string ``what`` gives its values by hand below)."""
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            given = [k.value for k in node.keywords if k.arg == "what"]
            position = {"choice": 2, "ids": 1}.get(node.func.attr)
            if position is not None and len(node.args) > position:
                given.append(node.args[position])
            for v in given:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    yield path.name, v.value


def test_every_what_of_the_checks_is_said_in_chinese():
    whats = set(_whats())
    assert ("frames.py", "process kind") in whats and ("substance.py", "a concentration") in whats
    missing = {w for w in whats if w[1] not in TERMS_ZH}
    assert not missing, f"no Chinese in mfa.i18n.TERMS_ZH for {missing}"
    # io/years.py writes f"a lifetime {p} in years"
    assert {f"a lifetime {p} in years" for p in ("mean", "std", "scale")} <= set(TERMS_ZH)


def test_the_terms_of_the_messages_are_the_reports():
    # the words a Chinese park manager reads in the report
    assert TERMS_ZH["process"] == "过程" and TERMS_ZH["flow"] == "流" and TERMS_ZH["material"] == "物质"
    assert TERMS_ZH["a transfer coefficient"] == "转移系数" and "不确定度" in TERMS_ZH["a standard uncertainty"]
    assert "库存" in TERMS_ZH["a stock in t"]


BAD_PROCESSES = """id,name,kind
mine,Coal mine,import
plant,Power plant,prodction
dump,Landfill,landfill
"""
BAD_FLOWS = """source,target,material,value,unit,sigma
mine,plant,raw_coal,abc,t/a,
plant,dmup,coal_gangue,30,t/a,
plant,dump,fly_ash,"80,5",,
plant,dump,fly_ash,20,,-2
"""


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def bad_folder(tmp_path):
    return write_park(tmp_path / "bad", processes=BAD_PROCESSES, flows=BAD_FLOWS)


ZH_LINES = [
    "processes.csv，第 3 行，“kind”列：未知的过程类型（值：'prodction'）——是否应为 'production' 或 'collection'？",
    "flows.csv，第 3 行，“target”列：未知的过程（值：'dmup'）——是否应为 'dump'？",
    "flows.csv，第 2 行，“value”列：不是有效的数字（值：'abc'）",
    "flows.csv，第 4 行，“value”列：不是有效的数字（值：'80,5'）——小数点请用“.”：80.5",
    "flows.csv，第 5 行，“sigma”列：不确定度（标准差）为负（值：'-2'）",
]


def test_check_and_report_print_a_bad_csv_folder_in_chinese(bad_folder, tmp_path):
    before = sorted(p.name for p in bad_folder.iterdir())
    out = tmp_path / "r.html"
    for argv in (["check", str(bad_folder), "--lang", "zh"],
                 ["report", str(bad_folder), "--lang", "zh", "-o", str(out)]):
        code, stdout, stderr = _run(*argv)
        assert code == 2 and stdout == ""
        lines = stderr.splitlines()
        assert lines[0] == "错误：输入中有 5 处问题：", stderr
        for want in ZH_LINES:  # file, spreadsheet row and column named; every problem at once
            assert any(line.endswith(want) and line.startswith("  - " + str(bad_folder)) for line in lines), want
        assert "Traceback" not in stderr and ", row " not in stderr and "column '" not in stderr
    assert not out.exists() and sorted(p.name for p in bad_folder.iterdir()) == before  # nothing written


@pytest.mark.parametrize("command", [["chart", "{park}", "rates", "-o", "{out}.png"],
                                     ["sankey", "{park}", "-o", "{out}.html"],
                                     ["compare", "hazardous", "{park}", "-o", "{out}.html"]])
def test_every_command_with_lang_says_input_errors_in_chinese(bad_folder, tmp_path, command):
    out = tmp_path / "out"
    code, _, stderr = _run(*[a.format(park=bad_folder, out=out) for a in command], "--lang", "zh")
    assert code == 2 and stderr.startswith("错误：输入中有 5 处问题：\n") and ZH_LINES[0] in stderr
    assert list(tmp_path.iterdir()) == [bad_folder]  # nothing written


def test_english_is_unchanged_and_the_json_document_is_the_same_in_both_languages(bad_folder):
    code, _, stderr = _run("check", str(bad_folder))
    assert code == 2
    assert stderr.splitlines()[0] == "error: 5 problems in the input:"
    assert (f"  - {bad_folder / 'processes.csv'}, row 3, column 'kind': unknown process kind (value: 'prodction') "
            "— did you mean 'production' or 'collection'?") in stderr.splitlines()
    en = _run("check", str(bad_folder), "--json")
    zh = _run("check", str(bad_folder), "--json", "--lang", "zh")
    assert en[0] == zh[0] == 2 and en[1] == zh[1]
    doc = json.loads(zh[1])
    assert doc["error"] == "invalid input" and len(doc["issues"]) == 5
    first = doc["issues"][0]
    assert first["message"] == "unknown process kind" and first["code"] == "input.unknown_choice"
    assert set(first) == {"file", "row", "path", "column", "value", "message", "suggestion", "severity", "code"}


def test_the_command_line_in_a_child_process_says_it_in_chinese(bad_folder, tmp_path):
    run = run_cli("report", str(bad_folder), "--lang", "zh", "-o", str(tmp_path / "r.html"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert ZH_LINES[0] in run.stderr and run.stdout == ""
    assert not (tmp_path / "r.html").exists()


def _bad_chinese_workbook(path: Path) -> None:
    """The hazardous park as a workbook its staff filled in Chinese (kinds in Chinese), with three mistakes:
    a mistyped kind (D4), a decimal comma (E5), a material by a Chinese name that is not one (D6)."""
    mfa.write_park(mfa.read_park("hazardous"), path)
    wb = load_workbook(path)
    ws = wb["processes"]
    k = [c.value for c in ws[1]].index("kind")
    rows = list(ws.iter_rows(min_row=2))
    for row in rows:
        row[k].value = KINDS_ZH[row[k].value]
    rows[2][k].value = "生严"
    wf = wb["flows"]
    head = [c.value for c in wf[1]]
    flows = list(wf.iter_rows(min_row=2))
    flows[3][head.index("value")].value = "12,5"
    flows[4][head.index("material")].value = "废矿物"
    wb.save(path)
    assert (rows[2][k].coordinate, flows[3][head.index("value")].coordinate) == ("D4", "E5")


def test_a_bad_chinese_workbook_is_reported_in_chinese_by_sheet_row_and_column(tmp_path):
    book = tmp_path / "园区.xlsx"
    _bad_chinese_workbook(book)
    out = tmp_path / "r.html"
    for argv in (["check", str(book), "--lang", "zh"], ["report", str(book), "--lang", "zh", "-o", str(out)]):
        code, stdout, stderr = _run(*argv)
        assert code == 2 and "Traceback" not in stderr
        lines = stderr.splitlines()
        assert lines[0] == "错误：输入中有 3 处问题：", stderr
        assert f"  - {book}，工作表“processes”，第 4 行，“kind”列：未知的过程类型（值：'生严'）——请使用以下之一：" \
               "collection（收集）、consumption（消费）、environment（环境）、export（输出）、import（输入）、landfill（填埋）、" \
               "production（生产）、storage（贮存）、treatment（处理）" in lines
        assert f"  - {book}，工作表“flows”，第 5 行，“value”列：不是有效的数字（值：'12,5'）——小数点请用“.”：12.5" in lines
        assert any(line.startswith(f"  - {book}，工作表“flows”，第 6 行，“material”列：未知的物质（值：'废矿物'）——中文名称：")
                   for line in lines)
    assert not out.exists()
    # English as before
    with pytest.raises(ParkError) as e:
        mfa.read_park(book)
    assert f"{book} [sheet flows], row 5, column 'value': not a number (value: '12,5') — write the decimal " \
           "separator as a point: 12.5" in str(e.value)


def test_a_missing_park_is_said_in_chinese():
    code, _, stderr = _run("check", "wuhia", "--lang", "zh")
    assert code == 2 and stderr == "错误：wuhia：没有这个文件或文件夹——是否应为 'wuhai'？\n"
    code, _, stderr = _run("check", "wuhia")
    assert code == 2 and stderr == "error: wuhia: no such file or folder — did you mean 'wuhai'?\n"


def test_check_says_a_warning_in_chinese_with_the_same_exit_code(tmp_path):
    folder = write_park(tmp_path / "ok")
    (folder / "extra.csv").write_text("x\n1\n", encoding="utf-8")
    code, stdout, stderr = _run("check", str(folder), "--lang", "zh")
    assert code in (0, 1) and "input valid" in stdout  # a warning is no input error (exit 2)
    assert f"警告：{folder / 'extra.csv'}：未知的表格文件——可识别的文件：park.csv, processes.csv" in stderr
    en = _run("check", str(folder))
    assert en[0] == code and en[1] == stdout
    assert f"warning: {folder / 'extra.csv'}: unknown table file — known files: park.csv" in en[2]


def test_past_the_printed_issues_the_rest_is_counted_in_either_language():
    import argparse

    from mfa.cli._common import MAX_PRINTED_ISSUES, report_error

    n = MAX_PRINTED_ISSUES + 1_234
    bad = ParkError([Issue("flows.csv", Message("not a number", "input.not_what", what="a number"), row=r + 2,
                           column="value", value="x") for r in range(n)])
    for lang, head, tail in (("zh", f"错误：输入中有 {n:,} 处问题：", "  ……另有 1,234 处（用 --json 查看全部）"),
                             ("en", f"error: {n} problems in the input:", "  … and 1234 more (use --json to see all)")):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            assert report_error(bad, argparse.Namespace(lang=lang)) == 2
        lines = err.getvalue().splitlines()
        assert (lines[0], lines[-1], len(lines)) == (head, tail, MAX_PRINTED_ISSUES + 2)


def test_the_issue_for_values_past_the_distinct_ones_is_said_in_chinese():
    import numpy as np
    import pandas as pd

    from mfa.errors import RawTable
    from mfa.validation import MAX_DISTINCT, TableChecker

    n = MAX_DISTINCT + 3
    raw = RawTable("flows", "flows.csv", pd.DataFrame({"value": [f"x{k}" for k in range(n)]}), range(2, n + 2))
    issues: list = []
    TableChecker(raw, issues).numbers("value")
    last = issues[-1]
    assert str(last).startswith("flows.csv, row 1002 (and 2 more: rows 1003, 1004), column 'value': not a number "
                                "(3 more distinct values in 3 rows)")
    assert last.text("zh") == ("flows.csv，第 1002 行（另有 2 处：第 1003、1004 行），“value”列：不是有效的数字"
                               "（另有 3 个不同的值，共 3 行）")
    assert len(issues) == MAX_DISTINCT + 1 and np.all([i.code for i in issues])
