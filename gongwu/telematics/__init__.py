"""Telematics: every official car's terminal, from its TCP connection to the dispatcher's map.

* :mod:`.gateway` — asyncio TCP gateways (JT/T 808, GB/T 32960, NMEA) and their session state machines;
* :mod:`.pipeline` — validate → de-duplicate → odometer and motion → persist in batches → ack → publish;
* :mod:`.consumers` — bus consumers: live state, trips and stops, geofences, alarms;
* :mod:`.terminals`, :mod:`.commands`, :mod:`.service` — what routes, the CLI and other packages call;
* :mod:`.router` — the HTTP and WebSocket API; :mod:`.runtime` — the background tasks for the app;
* :mod:`.maintenance` — partitions and retention; :mod:`.topics` — names on the bus.

See docs/telematics.md.
"""
