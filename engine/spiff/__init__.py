"""Everything Gongzhi does to and with SpiffWorkflow, in one room.

SpiffWorkflow is pinned to a narrow range in ``pyproject.toml``; the modules
here are the only ones that reach into its internals, and
``tests/test_spiff_compat.py`` checks each of them against the installed
version:

=================  ==========================================================
``parser``         the BPMN parser, with business-rule tasks evaluated by
                   ``gongzhi.rules`` instead of SpiffWorkflow's DMN engine
``script_engine``  the script engine: expressions and scripts in Gongzhi's
                   sandbox, service tasks dispatched to plugin handlers
``timers``         timer events: ISO 8601 parsed by ``iso8601`` with limits,
                   due times computed from Gongzhi's clock
``iso8601``        bounded ISO 8601 dates, durations and repetitions
``async_tasks``    service tasks that run later, in the worker
``message_events`` message catch events matched by correlation key
``multi_instance`` bounded multi-instance and loop cardinality
``snapshot``       one pass over the task tree: what a case waits for
``codec``          the state codec: compressed base plus per-command deltas
=================  ==========================================================

Internal: integrators use ``gongzhi.Engine``; nothing here is public API.
"""
