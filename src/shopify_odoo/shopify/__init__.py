"""Shopify Admin GraphQL client, cost-aware rate limiter, bulk operations, webhooks."""
