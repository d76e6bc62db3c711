#!/usr/bin/env python3
"""Write the upstream descriptors of the given proto files as a FileDescriptorSet.

Usage: dump_upstream.py OUT.bin FILE.proto [FILE.proto ...]

Upstream definitions come from the installed `temporalio` package (the
temporal/api/... files) and `googleapis-common-protos` (google/rpc/...).
"""

import importlib
import sys

from google.protobuf import descriptor_pb2, descriptor_pool


def module_for(file_name: str) -> str:
    """Python module that registers `file_name` in the default pool."""
    stem = file_name[: -len(".proto")] if file_name.endswith(".proto") else file_name
    dotted = stem.replace("/", ".") + "_pb2"
    if dotted.startswith("temporal."):
        return "temporalio." + dotted[len("temporal.") :]
    return dotted


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(f"usage: {argv[0]} OUT.bin FILE.proto [FILE.proto ...]", file=sys.stderr)
        return 2
    out_path, names = argv[1], argv[2:]
    pool = descriptor_pool.Default()
    out = descriptor_pb2.FileDescriptorSet()
    missing = []
    for name in names:
        module = module_for(name)
        try:
            importlib.import_module(module)
        except ImportError as err:
            missing.append(f"{name}: cannot import {module} ({err})")
            continue
        try:
            fd = pool.FindFileByName(name)
        except KeyError:
            missing.append(f"{name}: not registered by {module}")
            continue
        proto = descriptor_pb2.FileDescriptorProto()
        fd.CopyToProto(proto)
        out.file.append(proto)
    if missing:
        print("dump_upstream: proto files not found upstream:", file=sys.stderr)
        for line in missing:
            print(f"  {line}", file=sys.stderr)
        return 1
    with open(out_path, "wb") as fh:
        fh.write(out.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
