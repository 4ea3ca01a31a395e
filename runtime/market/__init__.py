"""The operator's market day over a scenario: the price forecast and bid at 10:00 the day before delivery, the
clearing, the 需要調達計画 file at 12:00 and the intraday steps to gate closure. Modules import each other
directly (no re-exports), so importing one does not load the optimiser."""
