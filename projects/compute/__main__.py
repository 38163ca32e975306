"""Compute layer: placeholder until its issue (6) builds it.

It checks its stack (environment, region, shared settings) and creates nothing, so that every
project exists, synthesizes and can be deployed in order from day one.
"""

from shared.config import current_stack_context

ctx = current_stack_context("compute")
