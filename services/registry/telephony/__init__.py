"""PBX adapters: each turns one PBX's own call reports into the ``CallEvent``s that
``POST /api/telephony/events`` takes, so registry itself knows one call model only."""
