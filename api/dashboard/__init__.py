"""The dashboard: server-rendered HTML pages with SVG charts, served by the API (no CDN, no JS framework)."""
