"""Conformance of ``asyncconsole.testing.FakeOpenSearch`` to OpenSearch's documented behaviour.

Written from OpenSearch's documentation, REST API specification and YAML REST tests, one
module per API group and one test per behaviour the fake claims. ``test_not_claimed`` lists
what it does not claim, and why.
"""
