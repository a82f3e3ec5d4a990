"""Country-specific registries, one module per reference country (``write_registries`` in each)."""
