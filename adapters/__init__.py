"""Portal adapters: Open311, the 12345 hotline, WeChat and signed webhooks (see README.md here).

Each adapter is a plugin registered through the ``gongzhi`` entry-point group and
mounted under ``/adapters/{name}/``; ``base.py``, ``intake.py``, ``signing.py`` and
``transport.py`` are the pieces third-party adapters build on.
"""
