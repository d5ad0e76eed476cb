"""Thin HTTP routers; the logic lives in the plain modules of the package.

Handlers are ``async def``: the work behind each is pure computation of tens of microseconds
(no I/O), so running it on the event loop is cheaper than a hop through the thread pool.
"""
