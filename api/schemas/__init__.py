"""Response and request schemas of the HTTP API (separate from the domain and storage types)."""
