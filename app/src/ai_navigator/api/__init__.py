"""Thin HTTP routers; the logic lives in the plain modules of the package."""
