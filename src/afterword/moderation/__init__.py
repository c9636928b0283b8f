"""Moderation: accounts, queues and actions for a site's team."""
