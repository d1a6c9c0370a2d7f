"""The demo: a realistic, generated multi-worker history, for the dashboard.

    python -m capture demo [--db PATH] [--workers 8] [--teams 2] [--days 14]
                           [--seed 1] [--end YYYY-MM-DD]

Writes generated workers through the same path as capture: raw events as
Arrow tables in events.ARROW_SCHEMA, stored by store.write_batches (source
'demo'), then the derived tables by derive.refresh per worker, the team of
every worker in ``workers``, and ``('demo', 'true')`` in ``meta`` so the
dashboard can say plainly that it shows generated data.

The same arguments give identical data, byte for byte: every worker-day
draws from its own random stream (seed, worker, date), so a longer history
keeps the events of a shorter one's days; batch ids are derived from the
arguments too. Running the demo again on its own database replaces it.

What the data is calibrated to, and the sources, are in model (figures),
keystrokes, focus (switches and time on screen) and plan (the working
day); day puts one worker-day together, hourly writes population-scale
rollups, generate writes it all and cli is ``python -m capture demo``. The refusal to mix demo and real data is on
purpose: a demo written into a database with captured or imported events
would pass generated behaviour off as someone's own.
"""
