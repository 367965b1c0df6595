#!/usr/bin/python3
"""Independent reading of PE files with python3-pefile, for cross-checking sealwatch's parser in tests.
Prints one JSON object per path given on the command line."""
import json
import sys

import pefile


def version_info(pe):
    out = {"strings": {}, "fixed_file": None, "fixed_product": None}
    if hasattr(pe, "VS_FIXEDFILEINFO") and pe.VS_FIXEDFILEINFO:
        f = pe.VS_FIXEDFILEINFO[0]
        out["fixed_file"] = "%d.%d.%d.%d" % (f.FileVersionMS >> 16, f.FileVersionMS & 0xFFFF, f.FileVersionLS >> 16, f.FileVersionLS & 0xFFFF)
        out["fixed_product"] = "%d.%d.%d.%d" % (f.ProductVersionMS >> 16, f.ProductVersionMS & 0xFFFF, f.ProductVersionLS >> 16, f.ProductVersionLS & 0xFFFF)
    for fi in getattr(pe, "FileInfo", None) or []:
        for entry in fi:
            if getattr(entry, "Key", b"") == b"StringFileInfo":
                for table in entry.StringTable[:1]:
                    for k, v in table.entries.items():
                        out["strings"][k.decode("utf-8", "replace")] = v.decode("utf-8", "replace")
    return out


for path in sys.argv[1:]:
    try:
        pe = pefile.PE(path, fast_load=False)
        imports = []
        functions = []
        for d in getattr(pe, "DIRECTORY_ENTRY_IMPORT", []) or []:
            imports.append(d.dll.decode("latin-1"))
            # pefile names some ordinal imports from its own table (oleaut32, ws2_32); the file holds the ordinal.
            functions.append(["#%d" % i.ordinal if i.import_by_ordinal or not i.name else i.name.decode("latin-1") for i in d.imports])
        print(json.dumps({
            "path": path,
            "machine": pe.FILE_HEADER.Machine,
            "sections": len(pe.sections),
            "checksum_stored": pe.OPTIONAL_HEADER.CheckSum,
            "checksum_computed": pe.generate_checksum(),
            "imports": imports,
            "functions": functions,
            "version": version_info(pe),
        }))
    except Exception as e:  # noqa: BLE001 - report, do not stop
        print(json.dumps({"path": path, "error": str(e)}))
