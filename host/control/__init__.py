"""The control interface, host side: a routing table of small handlers over a :class:`ControlTarget`."""
