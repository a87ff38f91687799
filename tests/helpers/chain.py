#!/usr/bin/env python3
"""chain.py EVENTS_FILE HISTORY_FILE: the hash chain of a session, computed
independently of sesskit from its two stored lists (one record a line, as
redis-cli --raw LRANGE prints them): records in the order they were made
(an event with seq N, then the lifecycle records with "at" N, in list
order), h = sha1hex(h + record) from h = "". Prints h. Used by the tests
to check the scripts' chain against the layout page's definition."""
import hashlib
import json
import sys

events = [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip()]
history = [l.rstrip("\n") for l in open(sys.argv[2]) if l.strip()]
recs = [((json.loads(e)["s"], 0, i), e) for i, e in enumerate(events)]
recs += [((json.loads(h)["at"], 1, i), h) for i, h in enumerate(history)]
recs.sort(key=lambda r: r[0])
h = ""
for _, rec in recs:
    h = hashlib.sha1((h + rec).encode()).hexdigest()
print(h)
