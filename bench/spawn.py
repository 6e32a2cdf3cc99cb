"""Run one command and write its own rusage as JSON: `python -I -S spawn.py RESULT.json ARGV...`.

A small helper process, because Linux keeps, in ru_maxrss, the memory of the process a child was
forked from: a child forked straight from the bench (which holds the doubles) would report the
bench's size. Forked from this small helper, the child's peak is its own.
"""

import json
import os
import sys
import time

result_path, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(result_path, "w", encoding="utf-8") as out:
    json.dump({"wall": wall, "peak_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime,
               "returncode": os.waitstatus_to_exitcode(status)}, out)
