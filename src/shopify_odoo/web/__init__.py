"""Webhook receiver, dashboard, health and metrics endpoints."""
