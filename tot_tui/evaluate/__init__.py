"""Batch evaluation (`tot-tui eval`): datasets, the scheduled run, statistics and reports.

Nothing heavy is imported here: the CLI imports `tot_tui.evaluate.command` on every start.
"""
