"""The plugin surface: hook specifications, the objects plugins hand in, and the registries.

=============  ===============================================================
``specs``      every hook, grouped by kind (``gongzhi.hookimpl`` marks them)
``objects``    value objects plugins return: ServiceTask, Channel, Report, ...
``manager``    the plugin manager factory and name-keyed registries
``builtin``    Gongzhi's own service tasks, registered like any plugin's
=============  ===============================================================

Plugins import what they need from ``gongzhi`` itself (its ``__all__``); these
modules are where those names live.
"""
