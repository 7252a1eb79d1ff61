"""`revcycle demo`: the whole revenue cycle end to end, on the sandbox emulators.

`run.run_demo` is the embedded flow (SQLite, in-process jobs, the gateway on a loopback thread of
this process); `prod.run_demo_prod` runs the same flow on PostgreSQL and Redis with a two-process
gateway and two arq workers. Both return a `summary.DemoSummary`.
"""
