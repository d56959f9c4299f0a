"""Gongzhi package."""
