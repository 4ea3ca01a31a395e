"""The files `ems plan` writes: documented columns (sidecar and README), one timestamp format, one unit per
column, rounding, both ends of a link, and each facility's balance closing in schedule.csv."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runtime.facades import dayahead_planning as planning
from runtime.facades.plan_files import FILES
from scenarios.loader import builtin_data, parse_scenario

ISO_JST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # tiny with a lossy link and the plant behind the school's meter, 12 slots from 2024-08-01 00:00 JST
    data = builtin_data("tiny")
    data["plant"]["facility_id"] = "school"
    data["links"] = [
        {"id": "feeder", "from_facility": "centre", "to_facility": "office", "limit_kw": 10.0, "loss_fraction": 0.03}
    ]
    run = planning.run_plan(parse_scenario(data), dt.date(2024, 8, 1), 12)
    directory = tmp_path_factory.mktemp("plan")
    planning.write_outputs(run, directory)
    return directory


def test_every_csv_has_its_documented_columns_and_a_sidecar(out: Path) -> None:
    readme = README.read_text(encoding="utf-8").split("## Plan output files", 1)[1].split("\n## ", 1)[0]
    for name, columns in FILES.items():
        frame = pd.read_csv(out / name)
        assert list(frame.columns) == [c.name for c in columns], name
        meta = json.loads((out / f"{name}-metadata.json").read_text(encoding="utf-8"))
        assert meta["url"] == name
        described = {c["name"]: c for c in meta["tableSchema"]["columns"]}
        assert list(described) == [c.name for c in columns]
        for c in columns:
            assert described[c.name]["dc:description"], (name, c.name)
            assert f"`{c.name}`" in readme, f"README does not document {name}:{c.name}"
            if c.name.endswith("_kw"):
                assert described[c.name]["schema:unitText"] == "kW"
            if c.name.endswith("_kwh") and not c.name.endswith("_per_kwh"):
                assert described[c.name]["schema:unitText"] == "kWh"


def test_one_timestamp_format_and_sensible_rounding(out: Path) -> None:
    for name, column in (("schedule.csv", "slot_start"), ("procurement.csv", "slot_start")):
        stamps = pd.read_csv(out / name)[column]
        assert stamps.map(lambda s: bool(ISO_JST.match(s))).all(), name
    assert pd.read_csv(out / "procurement.csv")["slot_start"].iloc[0] == "2024-08-01T00:00:00+09:00"
    slack = pd.read_csv(out / "slack.csv", keep_default_na=False)
    assert slack["first_slot_start"].map(lambda s: s == "" or bool(ISO_JST.match(s))).all()
    text = (out / "procurement.csv").read_text(encoding="utf-8")
    assert not re.search(r"\d\.\d{4,}", text.split("\n", 1)[1].replace("0.5,", "")), "more than 3 decimals"


def test_schedule_closes_every_facility_balance_and_names_both_link_ends(out: Path) -> None:
    s = pd.read_csv(out / "schedule.csv", keep_default_na=False, na_values=[""])
    links = s[s["kind"] == "link"]
    assert sorted(zip(links["facility"], links["peer"], strict=True))[0] == ("centre", "office")
    assert set(links["facility"]) == {"centre", "office"}
    # what one end sends the other receives less 3 % (signs: + received, - sent)
    by_end = links.pivot(index="slot_start", columns="facility", values="link_in_kw")
    sent = -by_end.min(axis=1).clip(upper=0)
    got = by_end.max(axis=1).clip(lower=0)
    np.testing.assert_allclose(got, 0.97 * sent, atol=2e-3)
    flows = s.groupby(["slot_start", "facility"]).agg(
        load=("load_kw", "sum"),
        net=("import_kw", "sum"),
        out=("export_kw", "sum"),
        pv=("pv_used_kw", "sum"),
        plant=("plant_used_kw", "sum"),
        dis=("discharge_kw", "sum"),
        ch=("charge_kw", "sum"),
        link=("link_in_kw", "sum"),
    )
    supply = flows["net"] - flows["out"] + flows["pv"] + flows["plant"] + flows["dis"] - flows["ch"] + flows["link"]
    np.testing.assert_allclose(supply, flows["load"], atol=0.01)  # rounding to 0.001 kW per column
    assert flows.xs("school", level="facility")["plant"].gt(0).all()  # the plant serves its own facility
    soc = s[s["kind"] == "battery"]["soc_end_kwh"]
    assert soc.notna().all()
    assert s[s["kind"] == "facility"]["soc_end_kwh"].isna().all()  # not mixed into facility rows
