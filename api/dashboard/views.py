"""HTML bodies of the dashboard pages (bilingual labels: 日本語 / English). Values in kW, SoC in %, age in s."""

from __future__ import annotations

from html import escape

import pandas as pd

from api.dashboard.charts import Series, stacked_chart
from runtime.store.models import Event, Imbalance, Plan, PlanSlot
from runtime.store.status import CitySummary, FacilityStatus
from scenarios.timegrid import TZ


def _kw(v: float | None) -> str:
    return "–" if v is None else f"{v:,.1f}"


def _age(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def overview(summary: CitySummary | None, statuses: list[FacilityStatus]) -> str:
    """The city overview: cards with totals and one row per facility (shelters marked)."""
    cards = ""
    if summary is not None:
        soc = "–" if summary.battery_soc is None else f"{summary.battery_soc * 100:.0f} %"
        cards = "".join(
            f'<div class="card">{label}<b>{value}</b></div>'
            for label, value in (
                ("施設 Facilities", f"{summary.reporting}/{summary.facilities}"),
                ("PV 発電 kW", _kw(summary.pv_kw)),
                ("蓄電池 Battery kW", _kw(summary.battery_kw)),
                ("蓄電池 SoC", soc),
                ("EV kW", _kw(summary.ev_kw)),
                ("受電 Grid kW", _kw(summary.grid_kw)),
                ("遅延 Stale", str(summary.stale)),
                ("避難所 Shelters", str(summary.shelters)),
            )
        )
    rows = []
    for s in statuses:
        badge = ' <span class="badge">避難所 Shelter</span>' if s.shelter else ""
        soc = "–" if s.battery_soc is None else f"{s.battery_soc * 100:.0f}"
        rows.append(
            f'<tr class="facility-row{" shelter" if s.shelter else ""}" data-facility="{escape(s.facility_id)}">'
            f'<td class="name"><a href="/facility/{escape(s.facility_id)}">{escape(s.name_ja)}</a><br>'
            f"<small>{escape(s.name_en)}</small>{badge}</td><td>{_kw(s.pv_kw)}</td><td>{_kw(s.battery_kw)}</td>"
            f"<td>{soc}</td><td>{_kw(s.ev_kw)}</td><td>{_kw(s.meter_kw)}</td><td>{_age(s.age_s)}</td>"
            f'<td class="q-{escape(s.quality)}">{escape(s.quality)}</td></tr>'
        )
    return (
        f'<h1>市内概要 City overview</h1><div class="cards">{cards}</div>'
        '<table id="facilities"><thead><tr><th class="name">施設 Facility</th><th>PV kW</th>'
        "<th>蓄電池 Battery kW</th><th>SoC %</th><th>EV kW</th><th>受電 Meter kW</th>"
        "<th>データ経過 Age s</th><th>品質 Quality</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _labels(slots: list[PlanSlot]) -> list[str]:
    return [pd.Timestamp(s.slot_start).tz_convert(TZ).strftime("%H:%M") for s in slots]


def supply(
    plan: Plan | None, slots: list[PlanSlot], actual_kw: dict[pd.Timestamp, float], imbalances: list[Imbalance]
) -> str:
    """The supply-plan chart (plant, JEPX, PV, battery, interchange per slot; plan vs actual) and imbalance."""
    if plan is None or not slots:
        return '<h1>需給計画 Supply plan</h1><p id="no-plan">計画なし No plan yet.</p>'
    labels = _labels(slots)
    stacks = [
        Series("ごみ発電 Plant", "#6b7280", [s.plant_kw for s in slots]),
        Series("JEPX 買 buy", "#2563eb", [s.jepx_buy_kw for s in slots]),
        Series("JEPX 売 sell", "#93c5fd", [-s.jepx_sell_kw for s in slots]),
        Series("太陽光 PV", "#f59e0b", [s.pv_kw for s in slots]),
        Series("蓄電池 Battery", "#16a34a", [s.battery_kw for s in slots]),
        Series("融通 Interchange", "#a855f7", [s.interchange_kw for s in slots]),
    ]
    planned = [s.plant_kw + s.jepx_buy_kw - s.jepx_sell_kw for s in slots]
    actual = [actual_kw.get(pd.Timestamp(s.slot_start)) for s in slots]
    lines = [
        Series("需要 Load (plan)", "#111827", [s.load_kw for s in slots]),
        Series("計画受電 Planned grid", "#dc2626", list[float | None](planned)),
        Series("実績受電 Actual grid", "#0891b2", actual),
    ]
    chart = stacked_chart(labels, stacks, lines, "kW", "supply plan")
    imb = {pd.Timestamp(i.slot_start): i for i in imbalances}
    imb_series = [
        Series(
            "インバランス Imbalance kWh",
            "#dc2626",
            [
                imb[pd.Timestamp(s.slot_start)].imbalance_kwh if pd.Timestamp(s.slot_start) in imb else None
                for s in slots
            ],
        )
    ]
    imb_chart = stacked_chart(labels, imb_series, [], "kWh", "imbalance")
    total_kwh = sum(i.imbalance_kwh for i in imbalances)
    total_jpy = sum(i.cost_jpy for i in imbalances)
    return (
        f"<h1>需給計画 Supply plan — v{plan.version} ({escape(plan.kind)}, {escape(plan.status)})</h1>"
        f'<div class="chart" id="supply-chart">{chart}</div>'
        f"<h2>インバランス Imbalance: {total_kwh:+,.1f} kWh, {total_jpy:+,.0f} 円 JPY</h2>"
        f'<div class="chart" id="imbalance-chart">{imb_chart}</div>'
        f'<p><a href="/api/v1/plans/{plan.id}/procurement.csv">調達計画 CSV procurement plan</a></p>'
    )


def facility(status: FacilityStatus, forecast: pd.DataFrame | None) -> str:
    """One facility: live points and its PV/load forecast chart."""
    rows = "".join(
        f'<tr><td class="name">{escape(p.device_id)} ({escape(p.kind or "not in scenario")})</td><td class="name">'
        f"{escape(p.point)}</td><td>{p.value:,.3f}</td><td>{_age(p.age_s)}</td>"
        f'<td class="q-{escape(p.quality)}">{escape(p.quality)}</td></tr>'
        for p in status.points
    )
    chart = ""
    if forecast is not None and not forecast.empty:
        labels = [t.strftime("%H:%M") for t in pd.DatetimeIndex(forecast.index).tz_convert(TZ)]
        lines = [
            Series("太陽光予測 PV forecast", "#f59e0b", [float(v) for v in forecast.get("pv", [])]),
            Series("需要予測 Load forecast", "#111827", [float(v) for v in forecast.get("load", [])]),
        ]
        chart = f'<div class="chart">{stacked_chart(labels, [], lines, "kW", "forecast")}</div>'
    badge = ' <span class="badge">避難所 Shelter</span>' if status.shelter else ""
    return (
        f"<h1>{escape(status.name_ja)} {escape(status.name_en)}{badge}</h1>{chart}"
        '<table><thead><tr><th class="name">機器 Device</th><th class="name">点 Point</th><th>値 Value</th>'
        f"<th>経過 Age s</th><th>品質 Quality</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def events(rows: list[Event]) -> str:
    """The events page."""
    body = "".join(
        f'<tr><td class="name">{pd.Timestamp(e.ts).tz_convert(TZ):%Y-%m-%d %H:%M:%S}</td>'
        f'<td class="name sev-{escape(e.severity)}">{escape(e.severity)}</td><td class="name">'
        f'{escape(e.kind)}</td><td class="name">{escape(e.facility_id or "")}</td><td class="name">'
        f"{escape(e.message)}</td></tr>"
        for e in rows
    )
    return (
        '<h1>イベント Events</h1><table id="events"><thead><tr><th class="name">時刻 Time (JST)</th>'
        '<th class="name">重要度 Severity</th><th class="name">種別 Kind</th><th class="name">施設 Facility</th>'
        f'<th class="name">内容 Message</th></tr></thead><tbody>{body}</tbody></table>'
    )
