"""Gongwu."""
