"""Infrastructure: one subpackage per external system, each a protocol, a real and a fake.

Only the private ``_<library>.py`` modules import third-party clients, lazily.
"""

__all__: list[str] = []
