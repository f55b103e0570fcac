"""Registry's calls to systems over the network: the PBX adapters (``asterisk``, ``bridge``:
each turns one PBX's own call reports into the ``CallEvent``s that
``POST /api/telephony/events`` takes, so registry itself knows one call model only) and the
forwarding of the panel's requests to loyalty and notify (``suite``)."""
