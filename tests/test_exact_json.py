"""One grammar on every door: a JSON number is judged by its exact value (at most two decimals
for a share, hours and kroner), whatever its spelling, never through a float; text that is not
Unicode (a lone surrogate) anywhere in a JSON body is a 422 naming where, never a 500."""
from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

import grants
from grants.cli import main as cli_main
from grants.io.writers import result_document

from .conftest import line

MODEL_A = "2023"
MODEL_B = [t for t in grants.default_engine().ratebook.tables if t.model == "B" and t.hours_element][-1]
B_LINE = dict(start=MODEL_B.period.first_day.isoformat(), end=MODEL_B.period.last_day.isoformat())


def _post(client, text: str, path: str = "/compute") -> httpx.Response:
    return client.post(path, content=text.encode("utf-8"), headers={"content-type": "application/json"})


def _body(period: str, raw: dict[str, str], sessions: list[str] | None = None, **base) -> str:
    """A request with one line whose fields in `raw` are written as raw JSON text (a number
    spelled as given), the others as tests.conftest.line with `base`."""
    rec = {k: v for k, v in line(**base).items() if k not in raw}
    fields = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in rec.items()] + [f'"{k}": {v}' for k, v in raw.items()]
    text = f'{{"period": "{period}", "lines": [{{{", ".join(fields)}}}]'
    if sessions is not None:
        text += f', "sessions": [{", ".join(sessions)}]'
    return text + "}"


def _outcome(doc) -> tuple:
    return (doc["total_nok"], [(r["row"], r["status"], r["amount_nok"]) for r in doc["lines"]],
            [(r["column"], r["value"], as_written(r["message"], r["value"])) for r in doc["rejections"]])


def as_written(message: str, value) -> str:
    """A rejection quotes a number (JSON, a DataFrame) with its decimal comma («80,555») and a
    file's text as written («80.555»): the message with the number quoted as the text was."""
    text = str(value)
    return message.replace(f"«{text.replace('.', ',')}»", f"«{text}»")


def _file(tmp_path, **values) -> tuple:
    """The same line as a CSV file through the command line: the file's verdict."""
    rec = line(**values)
    path = tmp_path / "linje.csv"
    path.write_text(";".join(rec) + "\n" + ";".join(str(v) for v in rec.values()) + "\n", encoding="utf-8")
    out = tmp_path / "out.json"
    cli_main(["compute", str(path), "--period", MODEL_A, "-o", str(out), "--quiet"])
    return _outcome(json.loads(out.read_text(encoding="utf-8")))


@pytest.mark.parametrize("spelling", ["80.5", "80.50", "8.05e1", "805E-1", "80.500", "\"80,5\"", "\"80.50 %\""])
def test_a_share_is_its_exact_value_whatever_its_spelling(client, spelling):
    doc = _post(client, _body(MODEL_A, {"position_share": spelling})).json()
    want = _post(client, _body(MODEL_A, {"position_share": '"80,5"'})).json()
    assert _outcome(doc) == _outcome(want) and not doc["rejections"] and doc["total_nok"] > 0


@pytest.mark.parametrize("spelling", ["99.999999999999999999", "80.555", "8.0555e1", "1e-7"])
def test_a_share_with_more_than_two_decimals_is_refused_as_a_file_refuses_it(client, tmp_path, spelling):
    doc = _post(client, _body(MODEL_A, {"position_share": spelling})).json()
    (rej,) = doc["rejections"]
    assert rej["column"] == "position_share" and "høyst to desimaler" in rej["message"], rej
    if "e" not in spelling:  # as text in a file: the same row, column, value and words
        assert _outcome(doc) == _file(tmp_path, position_share=spelling)
    # the library judges a Decimal the same way; a float cannot hold the number, so it is not asked
    result = grants.compute([line(position_share=Decimal(spelling))], MODEL_A)
    assert [r.message for r in result.rejections] == [rej["message"]]


def test_ninety_nine_point_nine_recurring_is_not_paid_as_a_full_share(client):
    """The case that was paid as 100 % through a float."""
    doc = _post(client, _body(MODEL_A, {"position_share": "99.999999999999999999"})).json()
    assert doc["total_nok"] == 0 and doc["lines"][0]["status"] == "rejected"


@pytest.mark.parametrize("field,good,bad", [
    ("supervision_hours", "1.05e1", "10.005"),
    ("productivity_applied", "1e3", "1000.001"),
    ("centrality_supplement_applied", "1000.50", "0.001"),
])
def test_hours_and_amounts_applied_for_are_judged_exactly(client, field, good, bad):
    ok = _post(client, _body(MODEL_B.id, {field: good}, **B_LINE)).json()
    assert not ok["rejections"], ok["rejections"]
    text = _post(client, _body(MODEL_B.id, {field: f'"{Decimal(good):f}"'}, **B_LINE)).json()
    assert _outcome(ok) == _outcome(text)
    refused = _post(client, _body(MODEL_B.id, {field: bad}, **B_LINE)).json()
    (rej,) = refused["rejections"]
    assert rej["column"] == field and rej["value"] == bad


def test_an_expense_is_judged_exactly_and_one_point_zero_zero_zero_is_one_krone(client):
    """1.000 as a number is one krone; only as text in a file is it Norwegian for a thousand."""
    one = _post(client, _body(MODEL_B.id, {"expenses": '{"praksiskompensasjon": 1.000}'}, **B_LINE)).json()
    assert one["lines"][0]["praksiskompensasjon_nok"] == 1, one["lines"][0]
    thousand = _post(client, _body(MODEL_B.id, {"expenses": '{"praksiskompensasjon": "1.000"}'}, **B_LINE)).json()
    assert thousand["lines"][0]["praksiskompensasjon_nok"] == 1000
    lib = grants.compute([line(**B_LINE, expense_praksiskompensasjon=Decimal("1.000"))], MODEL_B.id)
    assert {e.element: e.amount_nok for e in lib.lines[0].elements}["praksiskompensasjon"] == 1
    refused = _post(client, _body(MODEL_B.id, {"expenses": '{"praksiskompensasjon": 12.005}'}, **B_LINE)).json()
    assert refused["rejections"][0]["column"] == "expense_praksiskompensasjon"


def test_session_hours_are_judged_exactly(client):
    day = MODEL_B.period.first_day.isoformat()

    def post(hours: str) -> httpx.Response:
        session = f'{{"alis_id": "T1", "date": "{day}", "hours": {hours}}}'
        return _post(client, _body(MODEL_B.id, {}, [session], grant_type="kun_veiledning", **B_LINE))

    paid, text = post("2.50e0").json(), post('"2,5"').json()
    assert _outcome(paid) == _outcome(text) and paid["total_nok"] > 0 and not paid["rejections"]
    r = post("2.555")
    assert r.status_code == 400 and "kolonne «hours», verdi «2.555»" in r.json()["detail"], r.text


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(client, constant):
    r = _post(client, _body(MODEL_A, {"position_share": constant}))
    assert r.status_code == 400 and "ugyldig JSON" in r.json()["detail"]


def test_an_integer_too_long_to_read_is_a_400(client):
    r = _post(client, _body(MODEL_A, {"position_share": "1" + "0" * 5000}))
    assert r.status_code == 400 and r.json()["detail"] == "ugyldig JSON: et heltall har for mange sifre"


SESSION = '{"alis_id": "T1", "date": null, "hours": 1}'


@pytest.mark.parametrize("path", ["/compute", "/explain"])
@pytest.mark.parametrize("body,loc", [
    (_body("2023", {"role": '"fast\\ud800lege"'}), ["lines", "0", "role"]),
    (_body("2023", {"merk\\udfffnad": '"x"'}), ["lines", "0", "merk\\udfffnad"]),
    (_body("2023", {"expenses": '{"veil\\ud800": 1}'}), ["lines", "0", "expenses", "veil\\ud800"]),
    (_body("2023\\ud800", {}), ["period"]),
    (_body("2023", {})[:-1] + ', "ignore_columns": ["a", "x\\ud800"]}', ["ignore_columns", "1"]),
    (_body("2023", {}, [SESSION.replace("T1", "\\udbff")]), ["sessions", "0", "alis_id"]),
    (_body("2023", {}, [SESSION.replace('"date"', '"da\\ud800te"')]), ["sessions", "0", "da\\ud800te"]),
])
def test_a_lone_surrogate_anywhere_is_a_422_naming_where(client, service, path, body, loc):
    if path == "/explain":
        body = body[:-1] + ', "row": 1}'
    r = _post(client, body, path)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [e["loc"] for e in errors] == [loc] and errors[0]["type"] == "lone_surrogate"
    assert ".".join(loc) in r.json()["detail"] and "enslig surrogat" in r.json()["detail"]
    assert "internal error" not in service.logs()


def test_a_number_with_three_decimals_is_never_read_as_thousands(client, tmp_path):
    """12.005 as a number is twelve kroner and half an øre: refused (more than two decimals) on
    every door, never paid as 12 005 kr (the text 12.500 is Norwegian for 12 500, a number is not)."""
    import openpyxl
    import pandas as pd

    period, element = MODEL_B.id, "praksiskompensasjon"
    rec = line(**B_LINE)
    doors = {
        "json": lambda: _post(client, _body(period, {"expenses": f'{{"{element}": 12.005}}'}, **B_LINE)).json(),
        "dicts": lambda: result_document(grants.compute([rec | {f"expense_{element}": Decimal("12.005")}], period),
                                         traces=False),
        "dataframe": lambda: result_document(grants.compute(pd.DataFrame([rec | {f"expense_{element}": 12.005}]), period),
                                             traces=False),
    }

    def workbook():
        wb = openpyxl.Workbook()
        wb.active.append([*rec, f"expense_{element}"])
        wb.active.append([*rec.values(), 12.005])  # a number cell
        wb.save(tmp_path / "a.xlsx")
        out = tmp_path / "out.json"
        cli_main(["compute", str(tmp_path / "a.xlsx"), "--period", period, "-o", str(out), "--quiet"])
        return json.loads(out.read_text(encoding="utf-8"))

    doors["xlsx"] = workbook
    for door, run in doors.items():
        doc = run()
        assert doc["total_nok"] == 0 and [r["column"] for r in doc["rejections"]] == [f"expense_{element}"], door
        assert "er ikke et beløp i kroner" in doc["rejections"][0]["message"], door
