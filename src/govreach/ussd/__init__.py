"""Channels beyond the web: USSD menus for feature phones and inbound SMS keywords."""
