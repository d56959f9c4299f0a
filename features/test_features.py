"""Every scenario of every ``*.feature`` file in this folder, run with the step vocabulary in ``steps/``."""

from pytest_bdd import scenarios

scenarios(".")
