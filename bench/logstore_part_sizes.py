#!/usr/bin/env python3
"""Bytes per event of each column of a log store's parts, read from the part files' own indexes
(the layout drawn in src/search/logstore/README.md). Usage: logstore_part_sizes.py STORE_DIR
(a `logpipe run` data folder's search/logstore)."""

import glob
import os
import struct
import sys

COLUMNS = ["ts", "seq", "level", "service", "host", "id", "message", "json", "members", "tenant",
           "svclevels"]
TRAILER_BYTES = 80
LEVELS = 6


def main():
    folder = sys.argv[1]
    compressed, raw = [0] * len(COLUMNS), [0] * len(COLUMNS)
    blooms = id_blooms = indexes = file_bytes = rows = 0
    paths = glob.glob(os.path.join(folder, "part-*.lp"))
    for path in paths:
        data = open(path, "rb").read()
        file_bytes += len(data)
        version, = struct.unpack_from("<I", data, 8)
        columns = len(COLUMNS) if version >= 3 else len(COLUMNS) - 1
        index_offset, index_bytes, _, id_bloom_bytes, part_rows, blocks, _ = struct.unpack_from(
            "<QQQQQII", data, len(data) - TRAILER_BYTES)
        rows += part_rows
        id_blooms += id_bloom_bytes
        indexes += index_bytes
        offset = index_offset
        for _ in range(blocks):
            offset += 4 + 8 + 8 + 4 * LEVELS
            for column in range(columns):
                _, size, raw_size = struct.unpack_from("<QII", data, offset)
                offset += 16
                compressed[column] += size
                raw[column] += raw_size
            _, bloom_bytes = struct.unpack_from("<QI", data, offset)
            offset += 12
            blooms += bloom_bytes
    if not rows:
        sys.exit(f"no part files with rows in {folder}")
    print(f"{len(paths)} parts, {rows} rows, {file_bytes / rows:.1f} B per event in part files")
    for column, name in enumerate(COLUMNS):
        print(f"  {name:8} {compressed[column] / rows:6.1f} B/event (raw {raw[column] / rows:6.1f})")
    print(f"  blooms {blooms / rows:.1f}, id bloom {id_blooms / rows:.1f}, index "
          f"{indexes / rows:.1f} B/event")


if __name__ == "__main__":
    main()
