"""Walks and what is learned on them. Models arrive with the booking and concern work."""
